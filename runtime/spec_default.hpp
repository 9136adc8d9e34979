// The config.json that `ctr-run spec` writes: runc's default, so bundles and
// scripts made for runc work unchanged.
#pragma once

#include "json_view.hpp"

namespace ctr::rt {

// 1.0.2 as runc 1.1 writes it: crun 1.8 refuses bundles that claim a later version.
inline constexpr const char* kOciVersion = "1.0.2";

Json default_spec();
// The same for a user without privileges: user namespace mapping the caller,
// no network namespace, no device cgroup rules.
Json rootless_spec(uid_t uid, gid_t gid);

} // namespace ctr::rt
