#include "actlab/nn/activation_config.hpp"

#include <gtest/gtest.h>

#include "actlab/core/error.hpp"

namespace actlab {
namespace {

ActivationConfig parse(const std::string& yaml) {
  return parse_activation_config(YAML::Load(yaml), "model.activation");
}

std::string error_of(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ActivationConfig, ANameOrAMapWithParameters) {
  const ActivationConfig plain = parse("gelu");
  EXPECT_EQ(plain.name, "gelu");
  EXPECT_TRUE(plain.params.empty());

  const ActivationConfig leaky = parse("{name: leaky_relu, alpha: 0.2}");
  EXPECT_EQ(leaky.name, "leaky_relu");
  ASSERT_EQ(leaky.params.size(), 1u);
  EXPECT_EQ(leaky.params[0].first, "alpha");
  EXPECT_DOUBLE_EQ(leaky.params[0].second, 0.2);

  const ActivationConfig swish = parse("{name: swish, beta: 1.5, learnable: true}");
  ASSERT_EQ(swish.params.size(), 2u);
  EXPECT_EQ(swish.params[1].first, "learnable");
  EXPECT_EQ(swish.params[1].second, 1.0);
  EXPECT_EQ(parse("{name: gumbel_softmax, hard: false}").params[0].second, 0.0);
}

TEST(ActivationConfig, ErrorsNameTheKeyAndWhatIsValid) {
  const std::string unknown = error_of("rleu");
  EXPECT_EQ(unknown.rfind("model.activation: ", 0), 0u) << unknown;
  EXPECT_NE(unknown.find("did you mean 'relu'"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("leaky_relu"), std::string::npos) << unknown;

  EXPECT_NE(error_of("softmax").find("fused into the loss"), std::string::npos);
  EXPECT_NE(error_of("{name: leaky_relu, slpoe: 0.2}").find("valid: alpha"), std::string::npos);
  EXPECT_NE(error_of("{name: softplus, treshold: 10}").find("did you mean 'threshold'"),
            std::string::npos);
  EXPECT_NE(error_of("{name: leaky_relu, alpha: steep}").find("model.activation.alpha"),
            std::string::npos);
  EXPECT_NE(error_of("{name: leaky_relu, alpha: 2}").find("[0, 1]"), std::string::npos);
  EXPECT_NE(error_of("{name: swish, learnable: maybe}").find("true or false"), std::string::npos);
  EXPECT_NE(error_of("{alpha: 0.2}").find("'name'"), std::string::npos);
  EXPECT_NE(error_of("[relu, tanh]").find("expected an activation name"), std::string::npos);
  EXPECT_NE(error_of("{name: rrelu, lower: 0.3, upper: 0.2}").find("lower <= upper"),
            std::string::npos);
}

}  // namespace
}  // namespace actlab
