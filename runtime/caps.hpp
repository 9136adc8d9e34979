// process.capabilities: the five sets, applied around the uid switch.
#pragma once

#include <optional>

#include "spec.hpp"

namespace ctr::rt {

// Checks every name (e.g. "CAP_CHOWN"); unknown names are errors naming the set.
void validate_capabilities(const Capabilities& caps);

// Drops what is not in the bounding set (before the uid switch, needs CAP_SETPCAP).
void apply_bounding_set(const Capabilities& caps);

// Sets effective, permitted and inheritable, then raises the ambient ones
// (after the uid switch, with PR_SET_KEEPCAPS on).
void apply_capability_sets(const Capabilities& caps);

} // namespace ctr::rt
