#include "actlab/nn/formula/formula_derivative_text.hpp"

#include <sstream>

namespace actlab {
namespace {

// Texts joined piecewise: GCC 12 warns (-Wrestrict, a false positive) on `"-" + text` chains.
template <typename... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  (out.append(parts), ...);
  return out;
}

// Precedence of what a text is, so that it is parenthesised only where needed.
enum Precedence { kSum = 1, kProduct = 2, kUnary = 3, kPower = 4, kAtom = 5 };

struct Text {
  std::string text;
  int precedence = kAtom;
  bool zero = false;
  bool one = false;
};

Text atom(std::string text) {
  return {std::move(text), kAtom, text == "0", text == "1"};
}
const Text kZero{"0", kAtom, true, false};
const Text kOne{"1", kAtom, false, true};

std::string wrap(const Text& t, int at_least) {
  return t.precedence < at_least ? cat("(", t.text, ")") : t.text;
}

Text sum(const Text& a, const Text& b, bool minus) {
  if (b.zero) return a;
  if (a.zero) return minus ? Text{cat("-", wrap(b, kPower)), kUnary} : b;
  return {cat(a.text, minus ? " - " : " + ", minus ? wrap(b, kProduct) : b.text), kSum};
}

Text product(const Text& a, const Text& b) {
  if (a.zero || b.zero) return kZero;
  if (a.one) return b;
  if (b.one) return a;
  return {cat(wrap(a, kProduct), " * ", wrap(b, kUnary)), kProduct};
}

Text quotient(const Text& a, const Text& b) {
  if (a.zero) return kZero;
  return {cat(wrap(a, kProduct), " / ", wrap(b, kPower)), kProduct};
}

Text call(const std::string& name, const std::string& args) {
  return atom(cat(name, "(", args, ")"));
}

std::string number_text(double v) {
  std::ostringstream out;
  out.precision(12);
  out << v;
  return out.str();
}

// The tree back as text.
Text print(const FormulaNode& n) {
  using Kind = FormulaNode::Kind;
  switch (n.kind) {
    case Kind::kNumber:
      return atom(number_text(n.number));
    case Kind::kName:
      return atom(n.name);
    case Kind::kNegate:
      return {cat("-", wrap(print(*n.args[0]), kPower)), kUnary};
    case Kind::kBinary: {
      const Text a = print(*n.args[0]), b = print(*n.args[1]);
      const std::string& op = n.name;
      if (op == "^") return {cat(wrap(a, kAtom), "^", wrap(b, kUnary)), kPower};
      if (op == "*" || op == "/")
        return {cat(wrap(a, kProduct), " ", op, " ", wrap(b, kUnary)), kProduct};
      if (op == "+" || op == "-") return {cat(a.text, " ", op, " ", wrap(b, kProduct)), kSum};
      return {cat(wrap(a, kSum), " ", op, " ", wrap(b, kSum)), 0};
    }
    case Kind::kCall: {
      std::string args;
      for (std::size_t k = 0; k < n.args.size(); ++k) {
        if (k) args += ", ";
        if (!n.keywords[k].empty()) args += cat(n.keywords[k], "=");
        args += print(*n.args[k]).text;
      }
      return call(n.name, args);
    }
  }
  return atom("?");
}

Text derive(const FormulaNode& n) {
  using Kind = FormulaNode::Kind;
  switch (n.kind) {
    case Kind::kNumber:
      return kZero;
    case Kind::kName:
      return n.name == "x" ? kOne : kZero;
    case Kind::kNegate: {
      const Text d = derive(*n.args[0]);
      return d.zero ? kZero : Text{cat("-", wrap(d, kPower)), kUnary};
    }
    case Kind::kBinary: {
      const FormulaNode &an = *n.args[0], &bn = *n.args[1];
      const Text a = print(an), b = print(bn), da = derive(an), db = derive(bn);
      const std::string& op = n.name;
      if (op == "+" || op == "-") return sum(da, db, op == "-");
      if (op == "*") return sum(product(da, b), product(a, db), false);
      if (op == "/") {
        if (db.zero) return quotient(da, b);
        const Text top = sum(product(da, b), product(a, db), true);
        return quotient(top, Text{cat(wrap(b, kAtom), "^2"), kPower});
      }
      if (op == "^") {
        if (bn.kind == Kind::kNumber) {
          const double k = bn.number;
          const Text power =
              k == 2 ? a : Text{cat(wrap(a, kAtom), "^", number_text(k - 1)), kPower};
          return product(product(atom(number_text(k)), power), da);
        }
        const Text self = print(n);
        const Text inner =
            sum(product(db, call("log", a.text)), quotient(product(b, da), a), false);
        return product(self, inner);
      }
      return kZero;  // comparisons: piecewise constant
    }
    case Kind::kCall: {
      if (n.args.empty()) return kZero;
      const Text a = print(*n.args[0]), da = derive(*n.args[0]);
      const std::string& f = n.name;
      auto chain = [&](Text outer) { return product(outer, da); };
      // The one-argument functions; with more (softplus(x, beta=2)) the activation of that name.
      if (n.args.size() == 1) {
        if (f == "exp" || f == "expm1") return chain(call("exp", a.text));
        if (f == "log") return quotient(da, a);
        if (f == "log1p") return quotient(da, Text{cat("1 + ", a.text), kSum});
        if (f == "sqrt")
          return quotient(da, Text{cat("2 * ", call("sqrt", a.text).text), kProduct});
        if (f == "abs") return chain(call("sign", a.text));
        if (f == "sign") return kZero;
        if (f == "tanh") return chain(Text{cat("1 - ", call("tanh", a.text).text, "^2"), kSum});
        if (f == "sigmoid")
          return chain(
              Text{cat(call("sigmoid", a.text).text, " * (1 - ", call("sigmoid", a.text).text, ")"),
                   kProduct});
        if (f == "softplus") return chain(call("sigmoid", a.text));
        if (f == "erf" || f == "erfc")
          return chain(
              Text{cat(f == "erfc" ? "-" : "", "2 / sqrt(pi) * exp(-", wrap(a, kAtom), "^2)"),
                   f == "erfc" ? kUnary : kProduct});
      }
      if ((f == "min" || f == "max" || f == "where") && n.args.size() >= 2) {
        const bool pick = f == "where";
        const Text b = print(*n.args[1]);
        const Text db = derive(*n.args[1]);
        if (pick && n.args.size() == 3) {
          const Text dc = derive(*n.args[2]);
          if (db.zero && dc.zero) return kZero;
          return call("where", cat(a.text, ", ", db.text, ", ", dc.text));
        }
        if (da.zero && db.zero) return kZero;
        return call("where",
                    cat(a.text, f == "min" ? " < " : " > ", b.text, ", ", da.text, ", ", db.text));
      }
      if (f == "pow" && n.args.size() == 2) {
        const Text b = print(*n.args[1]);
        const Text db = derive(*n.args[1]);
        const Text self = print(n);
        return product(self,
                       sum(product(db, call("log", a.text)), quotient(product(b, da), a), false));
      }
      // An activation, built in or defined in the config: its derivative by name.
      std::string args = a.text;
      for (std::size_t k = 1; k < n.args.size(); ++k)
        args += cat(", ", n.keywords[k], n.keywords[k].empty() ? "" : "=", print(*n.args[k]).text);
      return chain(atom(cat(f, "'(", args, ")")));
    }
  }
  return kZero;
}

}  // namespace

std::string formula_derivative_text(const FormulaNode& root) {
  return derive(root).text;
}

}  // namespace actlab
