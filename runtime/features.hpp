// `ctr-run features`: the OCI runtime features document (runtime-spec
// features.md): what this build of ctr-run recognises, decided at compile
// time, not what the host offers.
#pragma once

#include "json_view.hpp"

namespace ctr::rt {

Json features();

} // namespace ctr::rt
