// OCI hooks: each runs with the container state JSON on stdin, with an
// optional timeout after which it is killed.
#pragma once

#include <string>
#include <vector>

#include "spec.hpp"

namespace ctr::rt {

// Runs the hooks in order; the first failure throws, naming the stage and hook.
void run_hooks(const std::vector<Hook>& hooks, const char* stage, const std::string& state_json);

// Runs them all; failures are logged as warnings (poststart, poststop).
void run_hooks_warn(const std::vector<Hook>& hooks, const char* stage,
                    const std::string& state_json);

} // namespace ctr::rt
