// process.apparmorProfile and process.selinuxLabel: applied when the host
// runs that LSM, refused with a clear error when asked for and it does not
// (running without the confinement asked for is not an option).
#pragma once

#include <string>

namespace ctr::rt {

struct Process;

bool apparmor_enabled();
bool selinux_enabled();

// Fails when the process asks for an LSM this host lacks; where names the
// process object ("process").
void check_lsm(const Process& p, const std::string& where);
// Sets the labels the next execve takes on.
void set_exec_labels(const Process& p);

} // namespace ctr::rt
