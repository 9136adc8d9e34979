#include "features.hpp"

#include <linux/capability.h>
#include <sys/capability.h>

#include <algorithm>
#include <cctype>

#include "lsm.hpp"
#include "options.hpp"
#include "seccomp.hpp"
#include "spec.hpp"
#include "spec_default.hpp"

namespace ctr::rt {

namespace {

Json capability_names()
{
    Json out = Json::array();
    for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
        char* name = ::cap_to_name(cap);
        if (!name)
            continue;
        std::string upper = name;
        ::cap_free(name);
        std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
        out.push_back(upper);
    }
    return out;
}

// The kernel's options, and the two the runtime takes out for idmapped binds.
std::vector<std::string> mount_options()
{
    std::vector<std::string> out = mnt::known_mount_options();
    out.insert(out.end(), {"idmap", "ridmap"});
    return out;
}

} // namespace

Json features()
{
    Json unsupported = {{"enabled", false}};
    return {
        {"ociVersionMin", "1.0.0"},
        {"ociVersionMax", "1.2.0"},
        {"hooks", {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
        {"mountOptions", mount_options()},
        {"linux",
         {{"namespaces", supported_namespaces()},
          {"capabilities", capability_names()},
          {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", true}, {"systemdUser", false}, {"rdma", true}}},
          {"seccomp",
           {{"enabled", true},
            {"actions", seccomp_action_names()},
            {"operators", seccomp_operator_names()},
            {"archs", seccomp_arch_names()},
            {"knownFlags", {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"}},
            {"supportedFlags",
             {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"}}}},
          {"apparmor", {{"enabled", apparmor_enabled()}}},
          {"selinux", {{"enabled", selinux_enabled()}}},
          {"intelRdt", unsupported},
          {"mountExtensions", {{"idmap", {{"enabled", true}}}}}}},
        {"annotations", {{"org.opencontainers.ctr.version", CTR_VERSION}}},
    };
}

} // namespace ctr::rt
