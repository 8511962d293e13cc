#include "activations_command.hpp"

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "actlab/config/experiment_config.hpp"
#include "actlab/core/error.hpp"
#include "actlab/nn/activation.hpp"
#include "actlab/nn/formula/formula_activation.hpp"

namespace actlab {
namespace {

std::string number(double value) {
  if (value == kInf) return "inf";
  if (value == -kInf) return "-inf";
  std::ostringstream out;
  out << value;
  return out.str();
}

// "alpha=0.01 [0, 1]", "hard=false"; the learned parameter is marked.
std::string describe_parameters(const ActivationInfo& info) {
  std::vector<std::string> parts;
  for (std::size_t k = 0; k < info.params.size(); ++k) {
    const ActivationParamSpec& spec = info.params[k];
    std::string part = std::string(spec.name) + "=";
    if (spec.kind == ParamKind::kBool) {
      part += spec.default_value != 0 ? "true" : "false";
    } else {
      part += number(spec.default_value) + " " + format_range(spec);
    }
    if (static_cast<int>(k) == info.learnable.param)
      part += info.learnable.enabled_by < 0 ? " (learned)" : " (learned if learnable)";
    parts.push_back(part);
  }
  if (parts.empty()) return "-";
  std::string text;
  for (std::size_t i = 0; i < parts.size(); ++i)
    text += (i ? "; " : "") + parts[i];
  return text;
}

std::string saturation(Saturation s) {
  switch (s) {
    case Saturation::kNone:
      return "no";
    case Saturation::kNegative:
      return "x -> -inf";
    case Saturation::kPositive:
      return "x -> +inf";
    case Saturation::kBoth:
      return "both sides";
  }
  return "?";
}

std::string yes_no(bool b) {
  return b ? "yes" : "no";
}

std::string notes(const ActivationInfo& info) {
  std::vector<std::string> parts;
  if (info.width_multiplier != 1)
    parts.push_back("takes " + std::to_string(info.width_multiplier) + "h inputs, gives h");
  if (info.output_side) parts.push_back("output side");
  if (info.name == "rrelu" || info.name == "gumbel_softmax") parts.push_back("random in training");
  std::string text;
  for (std::size_t i = 0; i < parts.size(); ++i)
    text += (i ? "; " : "") + parts[i];
  return text.empty() ? "-" : text;
}

// Columns are padded by code points, not bytes: the formulas use σ, Φ, ², ⊙.
std::size_t display_width(const std::string& s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

using Row = std::vector<std::string>;

void print_aligned(std::ostream& out, const std::vector<Row>& rows) {
  std::vector<std::size_t> widths(rows.front().size(), 0);
  for (const Row& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c)
      widths[c] = std::max(widths[c], display_width(row[c]));
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::string line;
    for (std::size_t c = 0; c < rows[r].size(); ++c) {
      line += rows[r][c];
      if (c + 1 < rows[r].size())
        line += std::string(widths[c] - display_width(rows[r][c]) + 2, ' ');
    }
    out << line << '\n';
    if (r == 0) {
      std::size_t total = 0;
      for (std::size_t w : widths)
        total += w + 2;
      out << std::string(total - 2, '-') << '\n';
    }
  }
}

std::string escape_markdown(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

void print_markdown(std::ostream& out, const std::vector<Row>& rows) {
  for (std::size_t r = 0; r < rows.size(); ++r) {
    out << '|';
    for (const std::string& cell : rows[r])
      out << ' ' << escape_markdown(cell) << " |";
    out << '\n';
    if (r == 0) {
      out << '|';
      for (std::size_t c = 0; c < rows[r].size(); ++c)
        out << "---|";
      out << '\n';
    }
  }
}

}  // namespace

FormulaLibrary load_formula_library(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(file.string() + ": cannot open the configuration file");
  std::ostringstream text;
  text << in.rdbuf();
  YAML::Node root = load_yaml(text.str(), file.string());
  if (root.IsMap()) {  // a study's sweep does not change its definitions
    root.remove("sweep");
    root.remove("zip");
  }
  return parse_config(root, file.string()).activations;
}

void print_activation_table(std::ostream& out, TableStyle style, const FormulaLibrary& defined) {
  // The user's definitions, compiled with their defaults, after the registered ones.
  std::vector<std::shared_ptr<const FormulaActivation>> compiled;
  for (const auto& [name, definition] : defined)
    compiled.push_back(make_formula_activation(FormulaSource{definition, defined},
                                               formula_param_values(definition, {})));
  std::vector<const ActivationInfo*> registry;
  for (const ActivationInfo& info : activation_registry())
    registry.push_back(&info);
  for (const auto& activation : compiled)
    registry.push_back(&activation->info);
  std::vector<Row> properties{{"name", "parameters (default [valid range])", "output range",
                               "monotonic", "smooth", "zero-centred", "saturates",
                               "dead zone (f' = 0)", "notes"}};
  std::vector<Row> formulas{{"name", "f(x)", "f'(x)"}};
  for (const ActivationInfo* entry : registry) {
    const ActivationInfo& info = *entry;
    const ActivationProperties& p = info.properties;
    properties.push_back({std::string(info.name), describe_parameters(info),
                          std::string(p.output_range), yes_no(p.monotonic), yes_no(p.smooth),
                          yes_no(p.zero_centred), saturation(p.saturates),
                          p.dead_zone.empty() ? "-" : std::string(p.dead_zone), notes(info)});
    formulas.push_back(
        {std::string(info.name), std::string(info.formula), std::string(info.derivative)});
  }
  if (style == TableStyle::kMarkdown) {
    print_markdown(out, properties);
    out << '\n';
    print_markdown(out, formulas);
    return;
  }
  out << registry.size() << " activations";
  if (!compiled.empty())
    out << " (the last " << compiled.size() << " defined by the config's activations:, "
        << "their properties from a grid: framework/README.md)";
  out << ". In a config: `activation: NAME` or "
      << "`activation: {name: NAME, PARAMETER: VALUE}`.\n"
      << "softmax is not among them: it is fused into the loss (softmax cross-entropy).\n\n";
  print_aligned(out, properties);
  out << '\n';
  print_aligned(out, formulas);
}

}  // namespace actlab
