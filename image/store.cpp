#include "store.hpp"

#include <unistd.h>

#include <cstdlib>

#include "error.hpp"
#include "file.hpp"

namespace ctr::img {

std::string default_store_root()
{
    if (const char* env = std::getenv("CTR_ROOT"); env && *env)
        return env;
    if (::geteuid() == 0)
        return "/var/lib/ctr";
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
        return std::string(xdg) + "/ctr";
    if (const char* home = std::getenv("HOME"); home && *home)
        return std::string(home) + "/.local/share/ctr";
    fail("no store: set --root, CTR_ROOT or HOME");
}

Store::Store(std::string root) : root_(std::move(root)), layout_(root_ + "/oci", root_ + "/lock") {}

void Store::init() const
{
    mkdir_all(root_, 0700);
    mkdir_all(root_ + "/layers/sha256");
    layout_.init();
}

} // namespace ctr::img
