// `actlab activations` (experiments/actlab/activations_command.cpp): every registered activation is
// listed with its parameters, properties and formulas, in both styles.
#include "activations_command.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "actlab/nn/activation.hpp"
#include "support/golden.hpp"

namespace actlab {
namespace {

std::string table(TableStyle style) {
  std::ostringstream out;
  print_activation_table(out, style);
  return out.str();
}

TEST(ActivationsCommand, ListsEveryActivationWithItsParametersAndFormulas) {
  for (TableStyle style : {TableStyle::kText, TableStyle::kMarkdown}) {
    const std::string text = table(style);
    for (const ActivationInfo& info : activation_registry()) {
      // Once in the properties table and once in the formula table.
      const std::string name = (style == TableStyle::kMarkdown ? "| " : "\n") +
                               std::string(info.name) +
                               (style == TableStyle::kMarkdown ? " |" : " ");
      const auto first = text.find(name);
      ASSERT_NE(first, std::string::npos) << info.name;
      EXPECT_NE(text.find(name, first + 1), std::string::npos) << info.name;
      std::string formula;
      for (char c : info.formula) {
        if (c == '|' && style == TableStyle::kMarkdown) formula += '\\';  // escaped in a cell
        formula += c;
      }
      EXPECT_NE(text.find(formula), std::string::npos) << info.name;
    }
    EXPECT_NE(text.find("alpha=0.01 [0, 1]"), std::string::npos);
    EXPECT_NE(text.find("beta=1 [0, inf)"), std::string::npos);
    EXPECT_NE(text.find("x <= 0 or x >= 6"), std::string::npos);
    EXPECT_NE(text.find("takes 2h inputs, gives h"), std::string::npos);
  }
  EXPECT_NE(table(TableStyle::kText).find("softmax is not among them"), std::string::npos);
}

// Given a config, its own activations follow the registered ones, with formula, derivative and
// the properties derived from their grid.
TEST(ActivationsCommand, ListsTheActivationsAConfigDefines) {
  const FormulaLibrary defined =
      load_formula_library(test::test_path("nn/formula/pytorch_forms.yaml"));
  ASSERT_TRUE(defined.count("squareplus"));
  std::ostringstream out;
  print_activation_table(out, TableStyle::kText, defined);
  const std::string text = out.str();
  EXPECT_NE(text.find("defined by the config's activations:"), std::string::npos);
  EXPECT_NE(text.find("\nsquareplus "), std::string::npos);
  EXPECT_NE(text.find("(x + sqrt(x^2 + b)) / 2"), std::string::npos);
  EXPECT_NE(text.find("forward-mode automatic differentiation"), std::string::npos);
  // The derivative as text: squareplus' = (1 + 2 * x / (2 * sqrt(x^2 + b))) / 2.
  EXPECT_NE(text.find("(1 + 2 * x / (2 * sqrt(x^2 + b))) / 2"), std::string::npos) << text;
  const auto relu_row = text.find("\nformula_relu ");
  ASSERT_NE(relu_row, std::string::npos);
  EXPECT_NE(text.substr(relu_row, text.find('\n', relu_row + 1) - relu_row).find("x <= 0"),
            std::string::npos);
}

TEST(ActivationsCommand, RangesPrintInfiniteEndsOpen) {
  EXPECT_EQ(format_range({.name = "beta", .min = 0}), "[0, inf)");
  EXPECT_EQ(format_range({.name = "tau", .min = 0, .min_open = true}), "(0, inf)");
  EXPECT_EQ(format_range({.name = "alpha", .min = 0, .max = 1}), "[0, 1]");
}

}  // namespace
}  // namespace actlab
