#include "caps.hpp"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <memory>

#include "error.hpp"

namespace ctr::rt {

namespace {

cap_value_t cap_value(const std::string& name, const char* set)
{
    cap_value_t v;
    if (::cap_from_name(name.c_str(), &v) < 0)
        fail("process.capabilities.{}: unknown capability \"{}\"", set, name);
    return v;
}

std::vector<cap_value_t> values(const std::vector<std::string>& names, const char* set)
{
    std::vector<cap_value_t> out;
    for (const auto& n : names) {
        cap_value_t v = cap_value(n, set);
        // A name this kernel does not know cannot be granted; skip it as runc does.
        if (v < static_cast<cap_value_t>(cap_max_bits()))
            out.push_back(v);
    }
    return out;
}

} // namespace

void validate_capabilities(const Capabilities& caps)
{
    values(caps.bounding, "bounding");
    values(caps.effective, "effective");
    values(caps.inheritable, "inheritable");
    values(caps.permitted, "permitted");
    values(caps.ambient, "ambient");
}

void apply_bounding_set(const Capabilities& caps)
{
    auto keep = values(caps.bounding, "bounding");
    for (cap_value_t c = 0; c < static_cast<cap_value_t>(cap_max_bits()); c++) {
        if (std::find(keep.begin(), keep.end(), c) != keep.end())
            continue;
        if (::prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
            throw_errno(fmt::format("drop capability {} from the bounding set", c));
    }
}

void apply_capability_sets(const Capabilities& caps)
{
    std::unique_ptr<std::remove_pointer_t<cap_t>, int (*)(void*)> state(::cap_init(), ::cap_free);
    if (!state)
        throw_errno("cap_init");
    auto set = [&](const std::vector<std::string>& names, const char* name, cap_flag_t flag) {
        auto v = values(names, name);
        if (!v.empty() && ::cap_set_flag(state.get(), flag, static_cast<int>(v.size()), v.data(), CAP_SET) < 0)
            throw_errno(fmt::format("process.capabilities.{}", name));
    };
    set(caps.effective, "effective", CAP_EFFECTIVE);
    set(caps.permitted, "permitted", CAP_PERMITTED);
    set(caps.inheritable, "inheritable", CAP_INHERITABLE);
    if (::cap_set_proc(state.get()) < 0)
        throw_errno("set process capabilities");
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        throw_errno("clear ambient capabilities");
    for (const auto& name : caps.ambient) {
        cap_value_t c = cap_value(name, "ambient");
        if (c >= static_cast<cap_value_t>(cap_max_bits()))
            continue;
        // The kernel allows only what is also permitted and inheritable; runc
        // skips the rest without failing, and so must we for its configs to run.
        if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0 && errno != EPERM)
            throw_errno("process.capabilities.ambient: raise " + name);
    }
}

} // namespace ctr::rt
