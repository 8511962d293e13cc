// The one mapping from error type to exit code (experiments/actlab/exit_codes.hpp): each row of
// the table is what run_reporting_errors() does with an error of that type.
#include "exit_codes.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <ios>
#include <map>
#include <new>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>

#include "actlab/core/error.hpp"

namespace actlab::cli {
namespace {

// An error of each type the table names, thrown.
const std::map<std::string_view, std::function<void()>> kThrowers = {
    {"actlab::ConfigError", [] { throw ConfigError("config"); }},
    {"actlab::DataError", [] { throw DataError("data"); }},
    {"actlab::CheckpointError", [] { throw CheckpointError("checkpoint"); }},
    {"actlab::ResultsError", [] { throw ResultsError("results"); }},
    {"actlab::OutputError", [] { throw OutputError("output"); }},
    {"actlab::Error", [] { throw Error("error"); }},
    {"std::filesystem::filesystem_error",
     [] {
       throw std::filesystem::filesystem_error("copy",
                                               std::make_error_code(std::errc::permission_denied));
     }},
    {"std::ios_base::failure", [] { throw std::ios_base::failure("write"); }},
    {"std::bad_alloc", [] { throw std::bad_alloc(); }},
};

TEST(ExitCodes, EachErrorTypeGetsTheCodeItsRowSays) {
  for (const ErrorExitCode& row : error_exit_codes()) {
    const auto thrower = kThrowers.find(row.error);
    ASSERT_NE(thrower, kThrowers.end()) << row.error << " has no thrower in this test";
    EXPECT_EQ(run_reporting_errors([&] {
                thrower->second();
                return 0;
              }),
              row.code)
        << row.error;
  }
  EXPECT_EQ(error_exit_codes().size(), kThrowers.size());
}

TEST(ExitCodes, DerivedErrorsMapLikeTheirBase) {
  EXPECT_EQ(run_reporting_errors([]() -> int {
              throw UnknownKeyError("model.actvation: unknown key", "model.actvation", "");
            }),
            kExitBadInput);
}

TEST(ExitCodes, TheSubcommandsOwnCodePassesThrough) {
  EXPECT_EQ(run_reporting_errors([] { return static_cast<int>(kExitInterrupted); }),
            kExitInterrupted);
}

TEST(ExitCodes, AnErrorOfNoListedTypeIsABugAndPropagates) {
  EXPECT_THROW(run_reporting_errors([]() -> int { throw std::logic_error("bug"); }),
               std::logic_error);
}

// Out of memory in a thread of the compute team, where no handler can catch it: the program still
// ends with the row's message and code, not an abort.
TEST(ExitCodesDeathTest, BadAllocInAnotherThreadExitsWithItsRowsCode) {
  const auto row = std::find_if(error_exit_codes().begin(), error_exit_codes().end(),
                                [](const ErrorExitCode& r) { return r.error == "std::bad_alloc"; });
  ASSERT_NE(row, error_exit_codes().end());
  EXPECT_EXIT(
      {
        exit_on_uncaught_bad_alloc();
        std::thread([] { throw std::bad_alloc(); }).join();
      },
      ::testing::ExitedWithCode(row->code), "out of memory.*std::bad_alloc");
  EXPECT_EQ(row->code, kExitBadInput);
}

TEST(ExitCodes, EveryCodeUsedIsDocumentedOnce) {
  const auto codes = exit_codes();
  EXPECT_TRUE(std::is_sorted(codes.begin(), codes.end(),
                             [](const auto& a, const auto& b) { return a.code <= b.code; }));
  auto documented = [&](int code) {
    return std::count_if(codes.begin(), codes.end(), [&](const auto& c) { return c.code == code; });
  };
  for (int code : {kExitOk, kExitRunFailed, kExitBadInput, kExitOutputError, kExitMissingProgram,
                   kExitInterrupted})
    EXPECT_EQ(documented(code), 1) << code;
  for (const ErrorExitCode& row : error_exit_codes())
    EXPECT_EQ(documented(row.code), 1) << row.error;
}

}  // namespace
}  // namespace actlab::cli
