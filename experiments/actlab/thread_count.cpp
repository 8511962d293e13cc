#include "thread_count.hpp"

#include <spdlog/spdlog.h>

#include "actlab/core/error.hpp"
#include "actlab/core/gemm.hpp"

namespace actlab::cli {

std::optional<std::string> check_thread_count(int threads, int cores, const std::string& source) {
  const std::string asked = source + " " + std::to_string(threads) + ": ";
  const std::string cores_text =
      std::to_string(cores) + (cores == 1 ? " core is" : " cores are") + " available";
  if (threads > kThreadsPerCoreLimit * cores)
    throw ConfigError(asked + "far more threads than cores (" + cores_text +
                      "); threads beyond the cores only take turns on them, and each step waits "
                      "for all of them, so the run would crawl. Use at most " +
                      std::to_string(cores) + " (the limit is " +
                      std::to_string(kThreadsPerCoreLimit) + " per core)");
  if (threads > cores)
    return asked + "more threads than cores (" + cores_text +
           "): the run will be slower than with " + std::to_string(cores);
  return std::nullopt;
}

void check_thread_count(int threads, const std::string& source) {
  if (const auto warning = check_thread_count(threads, available_cores(), source))
    spdlog::warn("{}", *warning);
}

}  // namespace actlab::cli
