#include "actlab/core/build_info.hpp"

#include <spdlog/version.h>
#include <unistd.h>

extern "C" char* openblas_get_config(void);

namespace actlab {

std::string_view actlab_version() {
  return ACTLAB_VERSION;
}

std::string library_versions() {
  std::string out;
#if defined(__clang__)
  out += "clang " __clang_version__;
#elif defined(__GNUC__)
  out += "gcc " __VERSION__;
#endif
  out += "; ";
  out += openblas_get_config();  // "OpenBLAS 0.3.21 ... DYNAMIC_ARCH ... SkylakeX ..."
  out += "; spdlog " + std::to_string(SPDLOG_VER_MAJOR) + "." + std::to_string(SPDLOG_VER_MINOR) +
         "." + std::to_string(SPDLOG_VER_PATCH);
  out += "; yaml-cpp " ACTLAB_YAML_CPP_VERSION;
  return out;
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

}  // namespace actlab
