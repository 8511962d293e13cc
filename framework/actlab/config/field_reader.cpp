#include "actlab/config/field_reader.hpp"

#include <stdexcept>

namespace actlab {

void FieldReader::finish() {
  if (!waiting_.empty())  // a mistake in a field list, not in the configuration
    throw std::logic_error("read_after(\"" + waiting_.front().after +
                           "\"): the field list has no such key after it");
  section_.reject_unknown_keys();
}

void FieldReader::read_waiting_for(const std::string& key) {
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->after != key) {
      ++it;
      continue;
    }
    const auto read = std::move(it->read);
    it = waiting_.erase(it);
    read();
  }
}

void FieldReader::fail(const std::string& key, const std::string& at,
                       const std::string& message) const {
  if (at.empty()) section_.fail(key, message);
  // reset(), not =: assigning to a yaml-cpp node that refers into the tree rewrites the tree.
  const YAML::Node& root = section_.node();
  YAML::Node node;
  node.reset(root[key]);
  std::size_t start = 0;
  while (start <= at.size() && node.IsMap()) {
    const auto dot = at.find('.', start);
    const std::string part = at.substr(start, dot == std::string::npos ? dot : dot - start);
    const YAML::Node& parent = node;
    YAML::Node child;
    child.reset(parent[part]);
    if (!child.IsDefined()) break;
    node.reset(child);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  section_.fail_at(node.IsDefined() ? node : root, section_.key_path(key + "." + at), message);
}

}  // namespace actlab
