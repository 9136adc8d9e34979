// linux.personality: the execution domain (LINUX or LINUX32, which makes
// uname report a 32-bit machine), set by init and exec'd processes.
#pragma once

#include "json_view.hpp"

namespace ctr::rt {

// The persona value for personality(2).
unsigned long parse_personality(const JsonView& v);
void set_personality(unsigned long persona);

} // namespace ctr::rt
