#pragma once
// Subcommands that are programs of their own, as git runs git-<name>: `actlab bench ARGS` executes
// `actlab-bench ARGS` from the folder of the actlab executable. The benchmark then stays in
// experiments/bench with its workloads, and the actlab program does not link them.
#include <string>
#include <vector>

namespace actlab::cli {

// Replaces this process with `program` (a file name) from this executable's folder, given `args`.
// Returns only when that fails: logs why and returns kExitMissingProgram.
int exec_beside_self(const std::string& program, const std::vector<std::string>& args);

}  // namespace actlab::cli
