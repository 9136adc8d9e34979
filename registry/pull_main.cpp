// ctr-pull: fetch images from registries into the store or an OCI layout.
#include <unistd.h>

#include <iostream>

#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "error.hpp"
#include "fd.hpp"
#include "log.hpp"
#include "pull.hpp"
#include "registry_cli.hpp"
#include "store.hpp"

using namespace ctr;

int main(int argc, char** argv)
{
    CLI::App app{"ctr-pull: fetch images from registries into the store", "ctr-pull"};
    app.set_version_flag("--version", std::string("ctr-pull version ") + CTR_VERSION);
    std::string root, dest, platform;
    std::vector<std::string> refs;
    reg::PullOptions pull;
    bool quiet = false, debug = false;
    reg::RegistryFlags flags;
    app.add_option("--root", root, "store directory (default $CTR_ROOT or /var/lib/ctr)");
    app.add_option("--dest", dest, "write into this OCI layout instead: oci:DIR[:TAG]");
    app.add_option("--platform", platform, "os/arch[/variant] to pull from an index (default: this host)");
    app.add_option("-j,--jobs", pull.jobs, "parallel blob downloads")->check(CLI::Range(1, 64));
    app.add_flag("-q,--quiet", quiet, "no progress on stderr");
    app.add_flag("--debug", debug, "log debug messages");
    reg::add_registry_flags(app, flags);
    app.add_option("ref", refs, "image references")->required()->check(reg::ReferenceValidator());

    return run_cli(app, argc, argv, [&] {
        log::init("ctr-pull", "", log::Format::Text, debug);
        reg::RegistryOptions ropts = reg::registry_options(flags);
        pull.platform = img::parse_platform(platform);
        pull.progress = !quiet && ::isatty(STDERR_FILENO);
        std::optional<img::Store> store;
        std::optional<img::OciLayout> layout;
        reg::OciLocation d;
        if (!dest.empty()) {
            d = reg::parse_oci_location(dest, "--dest");
            if (!d.tag.empty() && refs.size() > 1)
                fail("--dest {}: a TAG names one image; {} references were given", dest, refs.size());
            layout.emplace(d.dir, d.dir + "/.ctr-tmp/lock");
        } else {
            store.emplace(root.empty() ? img::default_store_root() : root);
            layout.emplace(store->layout());
        }
        std::vector<img::Reference> parsed;
        for (const auto& r : refs)
            parsed.push_back(img::parse_reference(r));
        if (store)
            store->init();
        else
            layout->init();
        UniqueFd no_gc = layout->gc_guard(false);
        for (const auto& ref : parsed) {
            std::string name = d.tag.empty() ? ref.str() : d.tag;
            reg::RegistryClient client(ref.registry, ropts);
            std::string digest = reg::pull_image(client, ref, *layout, name, pull);
            std::cout << (ref.tag.empty() ? ref.name() : ref.name() + ":" + ref.tag) << "@" << digest << std::endl;
        }
        return 0;
    });
}
