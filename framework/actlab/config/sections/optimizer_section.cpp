#include "actlab/config/sections/optimizer_section.hpp"

namespace actlab {

void BetasField::read(YamlSection& optimizer, const std::string& key,
                      std::tuple<double&, double&> betas) const {
  auto& [beta1, beta2] = betas;
  const auto values = optimizer.real_list(key, {beta1, beta2});
  optimizer.require(
      key, values.size() == 2 && values[0] >= 0 && values[0] < 1 && values[1] >= 0 && values[1] < 1,
      "two numbers in [0, 1), e.g. [0.9, 0.999]");
  beta1 = values[0];
  beta2 = values[1];
}

std::optional<YAML::Node> BetasField::write(std::tuple<const double&, const double&> betas) const {
  YAML::Node node(YAML::NodeType::Sequence);
  node.push_back(std::get<0>(betas));
  node.push_back(std::get<1>(betas));
  node.SetStyle(YAML::EmitterStyle::Flow);
  return node;
}

}  // namespace actlab
