#pragma once
// Errors are values the caller can report: library code throws one of these, carrying what is at
// fault (file, line, key path); only main() turns them into a message and an exit code.
#include <stdexcept>
#include <string>
#include <utility>

namespace actlab {

// Base class: a problem the user can fix (bad input), as opposed to a bug.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A configuration value is missing, unknown, of the wrong type or out of range.
class ConfigError : public Error {
 public:
  using Error::Error;
};

// A key that does not exist in the configuration. key_path() names it ("model.actvation");
// detail() is what follows "unknown key" in the message (" (did you mean 'activation'?); valid keys
// here: ..."), so that a caller that put the key there (a sweep) can report it at its own location.
class UnknownKeyError : public ConfigError {
 public:
  UnknownKeyError(const std::string& message, std::string key_path, std::string detail)
      : ConfigError(message), key_path_(std::move(key_path)), detail_(std::move(detail)) {}
  const std::string& key_path() const { return key_path_; }
  const std::string& detail() const { return detail_; }

 private:
  std::string key_path_, detail_;
};

// A data file is missing, unreadable or malformed.
class DataError : public Error {
 public:
  using Error::Error;
};

// An output file or folder cannot be written.
class OutputError : public Error {
 public:
  using Error::Error;
};

// A results folder given to read (a study folder for `actlab summary` / `merge`) is missing or
// malformed.
class ResultsError : public Error {
 public:
  using Error::Error;
};

// A checkpoint cannot be used to resume: unreadable, truncated, corrupted (checksum), of another
// format version, or written for a different configuration. The message names the file.
class CheckpointError : public Error {
 public:
  using Error::Error;
};

}  // namespace actlab
