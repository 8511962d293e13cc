// framework/README.md's activation table is what `actlab activations --markdown` prints, byte for
// byte: the registry is the one place an activation's formula, parameters and properties live.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "cli/process.hpp"
#include "docs/markdown.hpp"

namespace actlab::test {
namespace {

TEST(DocsActivationTable, FrameworkReadmeHoldsWhatActlabActivationsMarkdownPrints) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("actlab_docs_activation_table_" + std::to_string(::getpid()));
  const Outcome printed = run({"activations", "--markdown"}, dir);
  ASSERT_EQ(printed.exit_code, 0) << printed.log;
  ASSERT_FALSE(printed.output.empty());
  EXPECT_EQ(between_markers(read_page("framework/README.md"), "activations"), printed.output)
      << "framework/README.md's activation table differs from the registry. Regenerate it: put the "
         "output of `actlab activations --markdown` between its activations markers.";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace actlab::test
