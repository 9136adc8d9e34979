// The catalog and tags list APIs, following their Link pages.
#pragma once

#include <string>
#include <vector>

#include "client.hpp"

namespace ctr::reg {

// Repository names of the registry, those starting with prefix.
std::vector<std::string> list_repositories(RegistryClient& client, const std::string& prefix);
std::vector<std::string> list_tags(RegistryClient& client, const std::string& repo);

} // namespace ctr::reg
