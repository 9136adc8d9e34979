// `run` without --detach: ctr-run stays the container's parent, forwards
// signals to it, proxies its terminal, and returns its exit status.
#pragma once

#include "container.hpp"

namespace ctr::rt {

// Returns the shell-style status: the exit code, or 128+N when killed by signal N.
int wait_foreground(Created& c);

} // namespace ctr::rt
