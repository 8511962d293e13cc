#pragma once
// Checks of option values that CLI11's own validators get wrong for actlab: an empty folder name
// (it would reach the file system as ""), and a fraction given as "nan" (which passes a range
// check) or "abc" (which a range check calls out of range).
#include <CLI/CLI.hpp>

namespace actlab::cli {

// A folder name that is not empty.
CLI::Validator non_empty_folder();

// A number in [0, 1], written as a number.
CLI::Validator fraction();

}  // namespace actlab::cli
