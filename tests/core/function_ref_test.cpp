// FunctionRef calls the callable it was made from, with its state, and an empty one says so.
#include "actlab/core/function_ref.hpp"

#include <gtest/gtest.h>

#include <cstddef>

namespace actlab {
namespace {

int apply(FunctionRef<int(int)> f, int x) {
  return f(x);
}

TEST(FunctionRef, CallsTheReferencedCallableWithItsState) {
  int calls = 0;
  auto add_calls = [&](int x) { return x + ++calls; };
  EXPECT_EQ(apply(add_calls, 10), 11);
  EXPECT_EQ(apply(add_calls, 10), 12);
  EXPECT_EQ(calls, 2);
}

TEST(FunctionRef, AnEmptyOneIsFalseAndAFilledOneTrue) {
  const FunctionRef<void(std::size_t)> empty;
  EXPECT_FALSE(empty);
  auto nothing = [](std::size_t) {};
  const FunctionRef<void(std::size_t)> filled = nothing;
  EXPECT_TRUE(filled);
}

}  // namespace
}  // namespace actlab
