#pragma once
// What produced a result: recorded with every run so that numbers can be traced and reproduced.
#include <string>
#include <string_view>

namespace actlab {

std::string_view actlab_version();
// `git rev-parse HEAD` of the source tree at build time ("-dirty" if it had uncommitted changes).
std::string_view git_commit();
// "gcc 12.2.0; OpenBLAS 0.3.21 ...; spdlog 1.10.0; yaml-cpp 0.7.0"
std::string library_versions();
std::string host_name();

}  // namespace actlab
