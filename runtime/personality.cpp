#include "personality.hpp"

#include <sys/personality.h>

#include "error.hpp"

namespace ctr::rt {

unsigned long parse_personality(const JsonView& v)
{
    v.expect_object();
    std::string domain = v.at("domain").str();
    unsigned long persona;
    if (domain == "LINUX")
        persona = PER_LINUX;
    else if (domain == "LINUX32")
        persona = PER_LINUX32;
    else
        fail("{}.domain: unknown execution domain \"{}\" (expected LINUX or LINUX32)", v.path(), domain);
    // The runtime-spec defines no flags yet.
    for (const auto& f : v.opt_strings("flags"))
        fail("{}.flags: unknown flag \"{}\"", v.path(), f);
    return persona;
}

void set_personality(unsigned long persona)
{
    if (::personality(persona) < 0)
        throw_errno("linux.personality");
}

} // namespace ctr::rt
