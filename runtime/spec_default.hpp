// The config.json that `ctr-run spec` writes: runc's default, so bundles and
// scripts made for runc work unchanged.
#pragma once

#include "json_view.hpp"

namespace ctr::rt {

inline constexpr const char* kOciVersion = "1.2.0";

Json default_spec();
// The same for a user without privileges: user namespace mapping the caller,
// no network namespace, no device cgroup rules.
Json rootless_spec(uid_t uid, gid_t gid);

} // namespace ctr::rt
