// ctr-push: send an image from the store (or an OCI layout) to a registry.
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "images.hpp"
#include "error.hpp"
#include "log.hpp"
#include "push.hpp"
#include "registry_cli.hpp"
#include "store.hpp"

using namespace ctr;

namespace {

// Repositories of the same registry, in the store, that hold each blob.
std::map<std::string, std::string> mount_sources(const img::OciLayout& layout, const img::Reference& dest)
{
    std::map<std::string, std::string> out;
    for (const auto& d : layout.refs()) {
        auto name = d.annotations.find(img::kRefNameAnnotation);
        if (name == d.annotations.end())
            continue;
        img::Reference r;
        try {
            r = img::parse_reference(name->second);
        } catch (const Error&) {
            continue;
        }
        if (r.registry != dest.registry || r.repository == dest.repository)
            continue;
        for (const auto& blob : img::image_blobs(layout, d))
            out.emplace(blob.digest, r.repository);
    }
    return out;
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"ctr-push: send an image from the store to a registry", "ctr-push"};
    app.set_version_flag("--version", std::string("ctr-push version ") + CTR_VERSION);
    std::string root, src, name, dest;
    bool debug = false, quiet = false;
    reg::PushOptions opts;
    reg::RegistryFlags flags;
    app.add_option("--root", root, "store directory (default $CTR_ROOT or /var/lib/ctr)");
    app.add_option("--src", src, "push from this OCI layout instead: oci:DIR[:TAG] (NAME is then the destination)");
    app.add_option("--chunk-size", opts.chunk_size, "upload blobs in chunks of this many bytes (default: one request)")
        ->check(CLI::NonNegativeNumber);
    app.add_flag("-q,--quiet", quiet, "no progress on stderr");
    app.add_flag("--debug", debug, "log debug messages");
    reg::add_registry_flags(app, flags);
    app.add_option("name", name, "image in the store")->required();
    app.add_option("dest", dest, "destination reference (default: NAME)")->check(reg::ReferenceValidator());

    return run_cli(app, argc, argv, [&] {
        log::init("ctr-push", "", log::Format::Text, debug);
        reg::RegistryOptions ropts = reg::registry_options(flags);
        std::optional<img::Store> store;
        std::optional<img::OciLayout> layout;
        std::string ref_name;
        if (!src.empty()) {
            reg::OciLocation l = reg::parse_oci_location(src, "--src");
            ref_name = l.tag;
            layout.emplace(l.dir, l.dir + "/.ctr-tmp/lock");
            if (dest.empty())
                dest = name;
        } else {
            store.emplace(root.empty() ? img::default_store_root() : root);
            layout.emplace(store->layout());
            if (dest.empty()) {
                img::Reference r = img::parse_reference(name);
                dest = r.tag.empty() ? r.str() : r.name() + ":" + r.tag;
            }
        }
        img::Reference target = img::parse_reference(dest);
        std::optional<img::Descriptor> desc;
        if (store)
            desc = img::find_image(*layout, name).desc;
        else if (!ref_name.empty())
            desc = layout->find_ref(ref_name);
        else if (layout->refs().size() == 1)
            desc = layout->refs().front();
        if (!desc)
            fail("{}: no image named \"{}\" in {} (without a TAG, the layout must hold one image)", src,
                 ref_name, layout->dir());
        if (store)
            opts.mount_from = mount_sources(*layout, target);
        reg::RegistryClient client(target.registry, ropts);
        std::string digest = reg::push_image(client, *layout, *desc, target, opts);
        std::cout << target.name() << (target.tag.empty() ? "" : ":" + target.tag) << "@" << digest << std::endl;
        return 0;
    });
}
