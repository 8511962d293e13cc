#pragma once
// Results already written must survive a crash, a full disk or a kill -9 in the middle of writing
// the next one: every output file is written to a temporary file beside it, flushed, and renamed
// over the old one (rename is atomic on POSIX file systems).
#include <filesystem>
#include <string_view>

namespace actlab {

// Throws OutputError naming the path if any step fails; the old file, if any, is then untouched.
void write_file_atomic(const std::filesystem::path& path, std::string_view content);
// Removes the temporary files (<name>.tmp.<pid>) that a process killed while writing left in `dir`.
// Only for a folder no other process writes to (a locked run folder).
void remove_temporary_files(const std::filesystem::path& dir);
// Creates the folder (and parents); OutputError if impossible or not writable.
void create_output_directory(const std::filesystem::path& dir);

}  // namespace actlab
