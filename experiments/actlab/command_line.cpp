#include "command_line.hpp"

#include <algorithm>

namespace actlab::cli {

std::string shell_quote(const std::string& word) {
  // Characters no POSIX shell treats specially, anywhere in a word ('=' and ',' included, so that
  // `--set key=value` and cell ids stay as they were typed).
  const auto safe = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_-+=.,/:@%").find(c) != std::string_view::npos;
  };
  if (!word.empty() && std::all_of(word.begin(), word.end(), safe)) return word;
  std::string quoted = "'";
  for (char c : word)
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string shell_command(const std::vector<std::string>& argv) {
  std::string command;
  for (const std::string& word : argv) {
    if (!command.empty()) command += ' ';
    command += shell_quote(word);
  }
  return command;
}

std::string resume_command(const std::vector<std::string>& argv) {
  std::vector<std::string> words;
  for (const std::string& word : argv)
    if (word != "--overwrite") words.push_back(word);
  if (std::find(words.begin(), words.end(), "--resume") == words.end()) words.push_back("--resume");
  return shell_command(words);
}

}  // namespace actlab::cli
