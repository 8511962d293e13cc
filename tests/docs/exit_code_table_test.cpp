// experiments/README.md's exit-code table lists the codes of exit_codes() (experiments/actlab/
// exit_codes.hpp), in the same order, each row beginning with the code's own meaning.
#include "exit_codes.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "docs/markdown.hpp"

namespace actlab::test {
namespace {

TEST(DocsExitCodeTable, ExperimentsReadmeListsEveryExitCodeWithItsMeaning) {
  const auto rows = table_rows(between_markers(read_page("experiments/README.md"), "exit-codes"));
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows.front(), (std::vector<std::string>{"code", "meaning"}));

  std::vector<std::string> documented, expected;
  for (std::size_t r = 1; r < rows.size(); ++r)
    documented.push_back(rows[r].at(0));
  for (const cli::ExitCodeMeaning& code : cli::exit_codes())
    expected.push_back(std::to_string(code.code));
  EXPECT_EQ(documented, expected) << "the table's codes, in order, against exit_codes()";

  for (const cli::ExitCodeMeaning& code : cli::exit_codes()) {
    for (std::size_t r = 1; r < rows.size(); ++r) {
      if (rows[r].at(0) != std::to_string(code.code)) continue;
      EXPECT_TRUE(rows[r].at(1).starts_with(code.meaning))
          << "exit code " << code.code << ": the row should begin with \"" << code.meaning
          << "\", it reads \"" << rows[r].at(1) << "\"";
    }
  }
}

}  // namespace
}  // namespace actlab::test
