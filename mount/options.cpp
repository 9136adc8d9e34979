#include "options.hpp"

#include <sys/mount.h>

#include <cstring>

namespace ctr::mnt {

namespace {

struct FlagOption {
    const char* name;
    bool clear;  // the option turns the flag off
    unsigned long flag;
};

const FlagOption kFlags[] = {
    {"ro", false, MS_RDONLY},          {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},      {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},        {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},      {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},   {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},      {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},    {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME}, {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},  {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME}, {"nostrictatime", true, MS_STRICTATIME},
    {"lazytime", false, MS_LAZYTIME},  {"nolazytime", true, MS_LAZYTIME},
    {"silent", false, MS_SILENT},      {"loud", true, MS_SILENT},
    {"bind", false, MS_BIND},          {"rbind", false, MS_BIND | MS_REC},
};

struct PropagationOption {
    const char* name;
    unsigned long flags;
};

const PropagationOption kPropagation[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

} // namespace

std::vector<std::string> known_mount_options()
{
    std::vector<std::string> out;
    for (const auto& f : kFlags)
        out.push_back(f.name);
    for (const auto& p : kPropagation)
        out.push_back(p.name);
    out.push_back("tmpcopyup");
    return out;
}

bool MountOptions::is_bind() const { return (flags & MS_BIND) != 0; }

unsigned long parse_propagation(const std::string& name)
{
    for (const auto& p : kPropagation)
        if (name == p.name)
            return p.flags;
    return 0;
}

MountOptions parse_mount_options(const std::vector<std::string>& options)
{
    MountOptions out;
    for (const auto& opt : options) {
        if (unsigned long prop = parse_propagation(opt)) {
            out.propagation.push_back(prop);
            continue;
        }
        bool known = false;
        for (const auto& f : kFlags) {
            if (opt != f.name)
                continue;
            known = true;
            if (f.clear) {
                out.flags &= ~f.flag;
                out.clear |= f.flag;
            } else {
                out.flags |= f.flag;
                out.clear &= ~f.flag;
            }
        }
        if (known)
            continue;
        if (opt == "tmpcopyup") {
            out.tmpcopyup = true;
            continue;
        }
        if (!out.data.empty())
            out.data += ",";
        out.data += opt;
    }
    return out;
}

} // namespace ctr::mnt
