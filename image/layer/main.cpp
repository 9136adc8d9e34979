// ctr-layer: images to filesystems and back.
#include <unistd.h>

#include <iostream>

#include <CLI/CLI.hpp>

#include "bundle.hpp"
#include "changes.hpp"
#include "commit.hpp"
#include "cp.hpp"
#include "copy.hpp"
#include "reference.hpp"
#include "cli.hpp"
#include "error.hpp"
#include "file.hpp"
#include "images.hpp"
#include "layers.hpp"
#include "log.hpp"

using namespace ctr;
using namespace ctr::img;

int main(int argc, char** argv)
{
    CLI::App app{"ctr-layer: images to filesystems and back", "ctr-layer"};
    app.set_version_flag("--version", std::string("ctr-layer version ") + CTR_VERSION);
    app.require_subcommand(1);
    std::string root, name, dir;
    int jobs = 4;
    app.add_option("--root", root, "store directory (default $CTR_ROOT or /var/lib/ctr)");
    app.add_option("-j,--jobs", jobs, "layers extracted at a time")->check(CLI::Range(1, 64));
    std::function<int(const Store&)> action;

    std::string to;
    auto* unpack = app.add_subcommand("unpack", "extract an image's layers into the layer cache");
    unpack->add_option("--to", to, "also write the flattened root filesystem to this new (or empty) directory");
    unpack->add_option("name", name, "image")->required();
    unpack->callback([&] {
        action = [&](const Store& s) {
            std::vector<std::string> dirs = ensure_layers(s, describe(s.layout(), find_image(s.layout(), name)), jobs);
            if (!to.empty())
                flatten_layers(dirs, absolute_path(to));
            for (const auto& d : dirs)
                std::cout << d << '\n';
            return 0;
        };
    });

    BundleOptions b;
    std::string entrypoint;
    auto* bundle = app.add_subcommand("bundle", "make an OCI bundle from an image");
    bundle->add_option("-e,--env", b.env, "KEY=VALUE (or KEY, from this environment)")->allow_extra_args(false);
    bundle->add_option("-w,--workdir", b.workdir, "working directory");
    bundle->add_option("-u,--user", b.user, "user: name or uid[:gid]");
    bundle->add_option("--hostname", b.hostname, "host name");
    bundle->add_option("--net", b.net, "host or none (default)");
    bundle->add_option("--entrypoint", entrypoint, "replace the image's Entrypoint");
    bundle->add_option("--env-file", b.env_files, "file of KEY=VALUE lines")->allow_extra_args(false);
    bundle->add_option("-v,--volume", b.volumes, "[SOURCE:]DEST[:OPTIONS]: a host path or named volume")
        ->allow_extra_args(false);
    bundle->add_option("--volumes-from", b.volumes_from, "BUNDLE[:ro|:rw]: another bundle's volumes")
        ->allow_extra_args(false);
    bundle->add_option("--tmpfs", b.tmpfs, "DEST[:OPTIONS]: a tmpfs mount")->allow_extra_args(false);
    bundle->add_option("-m,--memory", b.memory, "memory limit: 512m, 1g, ...");
    bundle->add_option("--cpus", b.cpus, "CPUs the container may use: 1.5, ...");
    bundle->add_option("--pids-limit", b.pids_limit, "processes at most (0 or -1: no limit)");
    bundle->add_option("--cap-add", b.cap_add, "add a capability (or ALL)")->allow_extra_args(false);
    bundle->add_option("--cap-drop", b.cap_drop, "drop a capability (or ALL)")->allow_extra_args(false);
    bundle->add_flag("--privileged", b.privileged, "all capabilities and devices, no masked paths");
    bundle->add_flag("-t,--tty", b.tty, "give the process a terminal");
    bundle->add_flag("--read-only", b.read_only, "mount the root filesystem read-only");
    bundle->add_option("name", name, "image")->required();
    bundle->add_option("dir", dir, "bundle directory (must not exist)")->required();
    bundle->add_option("cmd", b.cmd, "command after --, replacing the image's Cmd");
    bundle->callback([&] {
        action = [&](const Store& s) {
            if (bundle->count("--entrypoint"))
                b.entrypoint = entrypoint;
            b.jobs = jobs;
            std::string abs = absolute_path(dir);
            make_bundle(s, name, abs, b);
            std::cout << abs << '\n';
            return 0;
        };
    });

    auto* diff = app.add_subcommand("diff", "list what a container changed: A, C, D lines");
    diff->add_option("dir", dir, "bundle directory")->required();
    diff->callback([&] {
        action = [&](const Store&) {
            for (const auto& c : bundle_diff(absolute_path(dir)))
                std::cout << c.kind << ' ' << c.path << '\n';
            return 0;
        };
    });

    auto* exp = app.add_subcommand("export", "write a container's filesystem as a tar to stdout");
    exp->add_option("dir", dir, "bundle directory")->required();
    exp->callback([&] {
        action = [&](const Store&) {
            if (::isatty(STDOUT_FILENO))
                fail("export: refusing to write a tar to a terminal");
            std::cout.flush();
            export_bundle(absolute_path(dir), STDOUT_FILENO);
            return 0;
        };
    });

    CommitOptions co;
    std::string image_name, file;
    auto* commit = app.add_subcommand("commit", "make the container's changes a new image");
    commit->add_option("-m,--message", co.message, "history comment");
    commit->add_option("-c,--change", co.changes, "CMD, ENTRYPOINT, ENV, WORKDIR, USER or LABEL line")
        ->allow_extra_args(false);
    commit->add_option("dir", dir, "bundle directory")->required();
    commit->add_option("name", image_name, "new image NAME[:TAG]")->required();
    commit->callback([&] {
        action = [&](const Store& s) {
            std::string digest = commit_bundle(s, absolute_path(dir), image_name, co);
            std::cout << parse_reference(image_name).str() << "@" << digest << '\n';
            return 0;
        };
    });

    auto* import = app.add_subcommand("import", "make a tar (or - for stdin) a one-layer image");
    import->add_option("-m,--message", co.message, "history comment");
    import->add_option("-c,--change", co.changes, "CMD, ENTRYPOINT, ENV, WORKDIR, USER or LABEL line")
        ->allow_extra_args(false);
    import->add_option("file", file, "tar file, or -")->required();
    import->add_option("name", image_name, "new image NAME[:TAG]")->required();
    import->callback([&] {
        action = [&](const Store& s) {
            std::string digest = import_tar(s, file, image_name, co);
            std::cout << parse_reference(image_name).str() << "@" << digest << '\n';
            return 0;
        };
    });

    CpOptions cp;
    std::string cp_src, cp_dest;
    auto* cpc = app.add_subcommand("cp", "copy files between a bundle (BUNDLE:PATH) and the host");
    cpc->add_flag("-a,--archive", cp.archive, "keep uid and gid");
    cpc->add_option("src", cp_src, "BUNDLE:PATH or host path")->required();
    cpc->add_option("dest", cp_dest, "BUNDLE:PATH, host path, or - for a tar on stdout")->required();
    cpc->callback([&] {
        action = [&](const Store&) {
            copy_path(cp_src, cp_dest, cp);
            return 0;
        };
    });

    auto* rm = app.add_subcommand("rm", "unmount and remove a bundle");
    rm->add_option("dir", dir, "bundle directory")->required();
    rm->callback([&] {
        action = [&](const Store& s) {
            remove_bundle(s, absolute_path(dir));
            return 0;
        };
    });

    return run_cli(app, argc, argv, [&] {
        log::init("ctr-layer", "", log::Format::Text, false);
        // Absolute: bundles record it, and are used from other directories.
        Store store(absolute_path(root.empty() ? default_store_root() : root));
        store.init();
        return action(store);
    });
}
