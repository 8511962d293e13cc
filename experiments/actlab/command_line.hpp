#pragma once
// The command line that started this process, kept so that a message can repeat it: the hint after
// an interrupt must resume the same run or study, overrides and output folder included.
#include <string>
#include <vector>

namespace actlab::cli {

// `word` as a POSIX shell reads it back unchanged: as it is where that is safe, else in single
// quotes (a single quote inside written as '\'').
std::string shell_quote(const std::string& word);

// The words of `argv`, each shell-quoted, joined by spaces.
std::string shell_command(const std::vector<std::string>& argv);

// The command that continues an interrupted `argv`: the same words with --resume (and without
// --overwrite, which would discard what the interrupted run left), shell-quoted.
std::string resume_command(const std::vector<std::string>& argv);

}  // namespace actlab::cli
