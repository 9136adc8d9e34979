#include "error.hpp"

#include <cstring>

namespace ctr {

static std::string with_errno(const std::string& what, int err)
{
    if (err == 0)
        return what;
    return what + ": " + std::strerror(err);
}

Error::Error(const std::string& what, int err)
    : std::runtime_error(with_errno(what, err)), context_(what), err_(err)
{
}

void throw_errno(const std::string& what) { throw Error(what, errno); }

void throw_errno(const std::string& what, int err) { throw Error(what, err); }

} // namespace ctr
