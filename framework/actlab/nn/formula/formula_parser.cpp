#include "actlab/nn/formula/formula_parser.hpp"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace actlab {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  std::unique_ptr<FormulaNode> parse() {
    auto node = comparison();
    skip_space();
    if (pos_ < text_.size())
      fail(std::string("unexpected '") + text_[pos_] + "' after a complete expression");
    return node;
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    throw FormulaError(message, pos_ + 1);
  }
  [[noreturn]] void fail_at(std::size_t column, const std::string& message) const {
    throw FormulaError(message, column);
  }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])))
      ++pos_;
  }
  bool accept(std::string_view token) {
    skip_space();
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  void expect(char c, const std::string& what) {
    skip_space();
    if (pos_ >= text_.size())
      fail("expected '" + std::string(1, c) + "' " + what + ", got the end");
    if (text_[pos_] != c)
      fail("expected '" + std::string(1, c) + "' " + what + ", got '" + text_[pos_] + "'");
    ++pos_;
  }

  std::unique_ptr<FormulaNode> make(FormulaNode::Kind kind, std::size_t column) {
    if (++nodes_ > kMaxFormulaNodes)
      fail_at(column, "the formula is too long: at most " + std::to_string(kMaxFormulaNodes) +
                          " operations");
    auto node = std::make_unique<FormulaNode>();
    node->kind = kind;
    node->column = column;
    return node;
  }
  std::unique_ptr<FormulaNode> binary(std::string op, std::size_t column,
                                      std::unique_ptr<FormulaNode> a,
                                      std::unique_ptr<FormulaNode> b) {
    auto node = make(FormulaNode::Kind::kBinary, column);
    node->name = std::move(op);
    node->args.push_back(std::move(a));
    node->args.push_back(std::move(b));
    return node;
  }

  // Depth is counted at each level that can recurse (parentheses, calls, unary minus, powers).
  struct DepthGuard {
    Parser& parser;
    explicit DepthGuard(Parser& p) : parser(p) {
      if (++parser.depth_ > kMaxFormulaDepth)
        parser.fail("the formula is nested too deeply: at most " +
                    std::to_string(kMaxFormulaDepth) + " levels");
    }
    ~DepthGuard() { --parser.depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
  };

  std::unique_ptr<FormulaNode> comparison() {
    DepthGuard guard(*this);
    auto left = sum();
    skip_space();
    const std::size_t column = pos_ + 1;
    for (std::string_view op : {"<=", ">=", "==", "!=", "<", ">"}) {
      if (!accept(op)) continue;
      auto node = binary(std::string(op), column, std::move(left), sum());
      skip_space();
      for (std::string_view again : {"<", ">", "==", "!="})
        if (text_.substr(pos_, again.size()) == again)
          fail("comparisons do not chain: write where(a < b, where(b < c, ...), ...)");
      return node;
    }
    return left;
  }

  std::unique_ptr<FormulaNode> sum() {
    auto left = product();
    for (;;) {
      skip_space();
      const std::size_t column = pos_ + 1;
      if (accept("+"))
        left = binary("+", column, std::move(left), product());
      else if (accept("-"))
        left = binary("-", column, std::move(left), product());
      else
        return left;
    }
  }

  std::unique_ptr<FormulaNode> product() {
    auto left = unary();
    for (;;) {
      skip_space();
      const std::size_t column = pos_ + 1;
      if (accept("*"))
        left = binary("*", column, std::move(left), unary());
      else if (accept("/"))
        left = binary("/", column, std::move(left), unary());
      else
        return left;
    }
  }

  std::unique_ptr<FormulaNode> unary() {
    skip_space();
    const std::size_t column = pos_ + 1;
    if (accept("-")) {
      DepthGuard guard(*this);
      auto node = make(FormulaNode::Kind::kNegate, column);
      node->args.push_back(unary());
      return node;
    }
    if (accept("+")) return unary();
    return power();
  }

  std::unique_ptr<FormulaNode> power() {
    auto base = primary();
    skip_space();
    const std::size_t column = pos_ + 1;
    if (accept("**")) fail_at(column, "'**' is written '^' here: x^2");
    if (!accept("^")) return base;
    DepthGuard guard(*this);
    return binary("^", column, std::move(base), unary());
  }

  std::unique_ptr<FormulaNode> primary() {
    skip_space();
    const std::size_t column = pos_ + 1;
    if (pos_ >= text_.size()) fail("expected a number, a name or '(', got the end of the formula");
    const char c = text_[pos_];
    if (c == '(') {
      DepthGuard guard(*this);
      ++pos_;
      auto inner = comparison();
      expect(')', "to close the '(' at column " + std::to_string(column));
      return inner;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') return number(column);
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::string name = identifier();
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == '(') {
        DepthGuard guard(*this);
        ++pos_;
        return call(std::move(name), column);
      }
      auto node = make(FormulaNode::Kind::kName, column);
      node->name = std::move(name);
      return node;
    }
    fail(std::string("unexpected '") + c + "': expected a number, a name or '('");
  }

  std::string identifier() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
      ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  std::unique_ptr<FormulaNode> number(std::size_t column) {
    // strtod on a copy: the view is not NUL-terminated. Hex and inf/nan are not numbers here.
    std::size_t end = pos_;
    while (end < text_.size() && (std::isdigit(static_cast<unsigned char>(text_[end])) ||
                                  text_[end] == '.' || text_[end] == 'e' || text_[end] == 'E' ||
                                  ((text_[end] == '+' || text_[end] == '-') && end > pos_ &&
                                   (text_[end - 1] == 'e' || text_[end - 1] == 'E'))))
      ++end;
    const std::string literal(text_.substr(pos_, end - pos_));
    char* stop = nullptr;
    errno = 0;
    const double value = std::strtod(literal.c_str(), &stop);
    if (stop != literal.c_str() + literal.size() || errno == ERANGE || !std::isfinite(value))
      fail("'" + literal + "' is not a number");
    pos_ = end;
    auto node = make(FormulaNode::Kind::kNumber, column);
    node->number = value;
    return node;
  }

  std::unique_ptr<FormulaNode> call(std::string name, std::size_t column) {
    auto node = make(FormulaNode::Kind::kCall, column);
    node->name = std::move(name);
    skip_space();
    if (accept(")")) return node;
    for (;;) {
      skip_space();
      // A keyword argument: name '=' (but not '==').
      std::string keyword;
      const std::size_t start = pos_;
      if (pos_ < text_.size() && (std::isalpha(static_cast<unsigned char>(text_[pos_])))) {
        std::string candidate = identifier();
        skip_space();
        if (pos_ < text_.size() && text_[pos_] == '=' &&
            (pos_ + 1 >= text_.size() || text_[pos_ + 1] != '=')) {
          ++pos_;
          keyword = std::move(candidate);
        } else {
          pos_ = start;
        }
      }
      if (keyword.empty() && !node->keywords.empty() && !node->keywords.back().empty())
        fail("a positional argument cannot follow a keyword argument");
      node->args.push_back(comparison());
      node->keywords.push_back(std::move(keyword));
      skip_space();
      if (accept(")")) return node;
      expect(',', "or ')' in the arguments of " + node->name + "(...)");
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t depth_ = 0;
  std::size_t nodes_ = 0;
};

}  // namespace

std::unique_ptr<FormulaNode> parse_formula(std::string_view text) {
  if (text.size() > kMaxFormulaLength)
    throw FormulaError("the formula is too long: " + std::to_string(text.size()) +
                           " characters, at most " + std::to_string(kMaxFormulaLength),
                       0);
  bool blank = true;
  for (char c : text)
    blank = blank && std::isspace(static_cast<unsigned char>(c));
  if (blank) throw FormulaError("the formula is empty", 0);
  return Parser(text).parse();
}

std::string caret_line(std::string_view text, std::size_t column) {
  std::string out = "  " + std::string(text) + "\n  ";
  if (column == 0) return out.substr(0, out.size() - 3);
  out.append(column - 1, ' ');
  out += '^';
  return out;
}

}  // namespace actlab
