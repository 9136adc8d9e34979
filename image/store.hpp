// The local image store: ROOT/oci (an OCI image layout any OCI tool can
// read), ROOT/layers (extracted layers), ROOT/lock (writers' flock).
#pragma once

#include <string>

#include "layout.hpp"

namespace ctr::img {

// --root, else $CTR_ROOT, else /var/lib/ctr for root and $XDG_DATA_HOME/ctr
// (~/.local/share/ctr) for other users.
std::string default_store_root();

class Store {
public:
    explicit Store(std::string root);

    const std::string& root() const { return root_; }
    const OciLayout& layout() const { return layout_; }
    // Creates the directories on first use.
    void init() const;

private:
    std::string root_;
    OciLayout layout_;
};

} // namespace ctr::img
