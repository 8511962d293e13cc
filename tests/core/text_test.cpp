#include "actlab/core/text.hpp"

#include <gtest/gtest.h>

namespace actlab {
namespace {

TEST(Text, EditDistance) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("relu", "relu"), 0u);
}

TEST(Text, SuggestsTheNearestPlausibleName) {
  const std::vector<std::string> names = {"learning_rate", "momentum", "weight_decay"};
  EXPECT_EQ(nearest_name("learnig_rate", names).value(), "learning_rate");
  EXPECT_FALSE(nearest_name("zzz", names).has_value());
}

TEST(Text, UnknownNameMessageListsValidNames) {
  const std::string message = unknown_name_message("activation", "rleu", {"relu", "tanh"});
  EXPECT_NE(message.find("did you mean 'relu'"), std::string::npos);
  EXPECT_NE(message.find("valid: relu, tanh"), std::string::npos);
}

}  // namespace
}  // namespace actlab
