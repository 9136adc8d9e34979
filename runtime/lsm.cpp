#include "lsm.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.hpp"
#include "file.hpp"
#include "spec.hpp"

namespace ctr::rt {

namespace {

void write_attr(const char* path, const std::string& value, const std::string& what)
{
    UniqueFd fd(::open(path, O_WRONLY | O_CLOEXEC));
    if (!fd)
        throw_errno(what + ": open " + path);
    if (::write(fd.get(), value.data(), value.size()) < 0)
        throw_errno(what + ": set \"" + value + "\"");
}

} // namespace

bool apparmor_enabled()
{
    try {
        return read_file("/sys/module/apparmor/parameters/enabled").rfind('Y', 0) == 0;
    } catch (const Error&) {
        return false;
    }
}

bool selinux_enabled()
{
    struct stat st;
    return ::stat("/sys/fs/selinux/enforce", &st) == 0;
}

void check_lsm(const Process& p, const std::string& where)
{
    if (!p.apparmor_profile.empty() && !apparmor_enabled())
        fail("{}.apparmorProfile: AppArmor is not enabled on this host, cannot confine the process to \"{}\"",
             where, p.apparmor_profile);
    if (!p.selinux_label.empty() && !selinux_enabled())
        fail("{}.selinuxLabel: SELinux is not enabled on this host, cannot label the process \"{}\"",
             where, p.selinux_label);
}

void set_exec_labels(const Process& p)
{
    if (!p.apparmor_profile.empty()) {
        struct stat st;
        const char* path = ::stat("/proc/thread-self/attr/apparmor/exec", &st) == 0
                               ? "/proc/thread-self/attr/apparmor/exec"
                               : "/proc/thread-self/attr/exec";
        write_attr(path, "exec " + p.apparmor_profile, "process.apparmorProfile");
    }
    if (!p.selinux_label.empty())
        write_attr("/proc/thread-self/attr/exec", p.selinux_label, "process.selinuxLabel");
}

} // namespace ctr::rt
