// configs/README.md's "every key, with its default" block is the resolved configuration of an empty
// file: the same keys, each with the value that actlab fills in (what a run writes to config.yaml).
#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "actlab/config/experiment_config.hpp"
#include "docs/markdown.hpp"

namespace actlab::test {
namespace {

// The YAML inside the first ```yaml fence of `text`.
std::string fenced_yaml(const std::string& text) {
  const std::string open = "```yaml\n";
  const auto from = text.find(open);
  EXPECT_NE(from, std::string::npos) << "no ```yaml block between the markers";
  if (from == std::string::npos) return "";
  const auto to = text.find("```", from + open.size());
  EXPECT_NE(to, std::string::npos) << "the ```yaml block does not end";
  return text.substr(from + open.size(), to - from - open.size());
}

// Scalars are equal as text (`relu`, `true`, `""`) or as numbers (`0.0` and `0`, `1.0e-8` and
// `1e-08`), as a YAML reader of the file would take them.
bool same_scalar(const YAML::Node& documented, const YAML::Node& resolved) {
  if (documented.Scalar() == resolved.Scalar()) return true;
  double a = 0, b = 0;
  return YAML::convert<double>::decode(documented, a) &&
         YAML::convert<double>::decode(resolved, b) && a == b;
}

// Adds to `into` the keys of `from` that it lacks, at every depth.
void add_missing_keys(YAML::Node into, const YAML::Node& from) {
  for (const auto& entry : from) {
    const auto key = entry.first.as<std::string>();
    if (!into[key])
      into[key] = YAML::Clone(entry.second);
    else if (into[key].IsMap() && entry.second.IsMap())
      add_missing_keys(into[key], entry.second);
  }
}

// What an empty file resolves to. Keys that apply only under a condition (`data.points` and
// `data.noise`: generated data sets only) are not written for it; those come from the resolution
// of a file that meets the condition.
YAML::Node resolved_defaults(const std::filesystem::path& empty) {
  YAML::Node resolved = to_yaml(load_config(empty));
  add_missing_keys(resolved, to_yaml(load_config(empty, {"data.dataset=spiral"})));
  return resolved;
}

// One failure per difference, named by its key path: a documented key that does not resolve, a
// resolved key that is not documented, or another value. A key documented as null may be absent
// from the resolution (an optional key left unset is not written), if a file may set it to null.
void expect_same(const YAML::Node& documented, const YAML::Node& resolved, const std::string& path,
                 const std::filesystem::path& empty) {
  const std::string where = path.empty() ? "the top level" : path;
  if (documented.IsMap()) {
    ASSERT_TRUE(resolved.IsMap()) << where << ": documented as a map, resolves to "
                                  << YAML::Dump(resolved);
    const std::string prefix = path.empty() ? "" : path + ".";
    for (const auto& entry : documented) {
      const auto key = entry.first.as<std::string>();
      if (resolved[key]) {
        expect_same(entry.second, resolved[key], prefix + key, empty);
      } else if (entry.second.IsNull()) {
        EXPECT_NO_THROW(load_config(empty, {prefix + key + "=null"}))
            << prefix + key << " is documented as unset, but a file cannot leave it unset";
      } else {
        ADD_FAILURE() << prefix + key << " is documented but not in the resolved configuration";
      }
    }
    for (const auto& entry : resolved)
      if (!documented[entry.first.as<std::string>()])
        ADD_FAILURE() << prefix + entry.first.as<std::string>()
                      << " is in the resolved configuration but not documented (default "
                      << YAML::Dump(entry.second) << ")";
  } else if (documented.IsSequence()) {
    ASSERT_TRUE(resolved.IsSequence() && resolved.size() == documented.size())
        << where << ": documented " << YAML::Dump(documented) << ", resolves to "
        << YAML::Dump(resolved);
    for (std::size_t i = 0; i < documented.size(); ++i)
      expect_same(documented[i], resolved[i], path + "[" + std::to_string(i) + "]", empty);
  } else if (documented.IsNull()) {
    EXPECT_TRUE(resolved.IsNull())
        << where << ": documented null, resolves to " << YAML::Dump(resolved);
  } else {
    EXPECT_TRUE(resolved.IsScalar() && same_scalar(documented, resolved))
        << where << ": documented " << YAML::Dump(documented) << ", resolves to "
        << YAML::Dump(resolved);
  }
}

TEST(DocsConfigDefaults, ConfigsReadmeGivesEveryKeyWithTheDefaultAnEmptyFileResolvesTo) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("actlab_docs_config_defaults_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto empty = dir / "empty.yaml";
  std::ofstream(empty) << "{}\n";

  const YAML::Node documented =
      YAML::Load(fenced_yaml(between_markers(read_page("configs/README.md"), "config-defaults")));
  ASSERT_TRUE(documented.IsMap());
  expect_same(documented, resolved_defaults(empty), "", empty);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace actlab::test
