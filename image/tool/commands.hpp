// One function per ctr-image command; main.cpp only parses flags.
#pragma once

#include <string>
#include <vector>

#include "registry_cli.hpp"
#include "store.hpp"

namespace ctr::img {

int cmd_ls(const Store& store, const std::string& format);
int cmd_inspect(const Store& store, const std::string& name, const std::string& format);
int cmd_history(const Store& store, const std::string& name);
int cmd_tag(const Store& store, const std::string& src, const std::string& dest);
int cmd_rm(const Store& store, const std::vector<std::string>& names);
int cmd_gc(const Store& store);
int cmd_save(const Store& store, const std::vector<std::string>& names, const std::string& output,
             const std::string& format);
int cmd_load(const Store& store, const std::string& input);
int cmd_search(const std::string& target, const reg::RegistryFlags& flags);
int cmd_tags(const std::string& repo, const reg::RegistryFlags& flags);

// Docker-style "{{.Config.Env}}" or ".config.Env": the value at that path.
Json select_path(const Json& doc, const std::string& path);
// "3 hours ago" for an RFC 3339 time.
std::string time_ago(const std::string& rfc3339);
std::string human_size(int64_t bytes);

} // namespace ctr::img
