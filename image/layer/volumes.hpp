// A bundle's volumes, as docker run knows them: host directories bound in
// (-v /host:/ctr), named volumes kept in the store (-v NAME:/ctr, in
// ROOT/volumes/NAME/_data), anonymous ones that live and die with the bundle
// (-v /ctr and the image's Volumes, in DIR/volumes/), and those of another
// bundle (--volumes-from). A new or empty named or anonymous volume first
// gets what the image has at its path, as docker does.
#pragma once

#include <string>
#include <vector>

#include "json_view.hpp"
#include "store.hpp"

namespace ctr::img {

struct Volume {
    std::string destination;           // path in the container
    std::string source;                // host path bound there
    std::string name;                  // named volume, or ""
    bool anonymous = false;
    bool readonly = false;
    bool copy_up = true;               // fill an empty volume from the image (not "nocopy")
    std::vector<std::string> options;  // propagation etc. for the bind mount

    Json to_json() const;
    static Volume from_json(const Json& j);
};

// A container path made plain: "/a/./b/../c//" -> "/a/c"; ".." stops at /.
std::string clean_path(const std::string& path);

// "-v" syntax: [SOURCE:]DEST[:OPTIONS]; SOURCE is a host path (absolute or
// ./relative) or a volume name. Anonymous volumes get their source later.
Volume parse_volume(const std::string& spec);

// "--volumes-from BUNDLE[:ro|:rw]": the volumes recorded in BUNDLE/image.json.
std::vector<Volume> volumes_from(const std::string& spec);

// Gives every volume its source directory (making named and anonymous ones,
// and missing host directories) and copies the image's content into new
// volumes. rootfd is the image's root filesystem.
void prepare_volumes(const Store& store, const std::string& bundle, int rootfd, std::vector<Volume>& volumes);

// The config.json mount of a volume.
Json volume_mount(const Volume& v);

} // namespace ctr::img
