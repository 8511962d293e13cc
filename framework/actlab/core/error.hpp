#pragma once
// Errors are values the caller can report: library code throws one of these, carrying what is at
// fault (file, line, key path); only main() turns them into a message and an exit code.
#include <stdexcept>
#include <string>

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

}  // namespace actlab
