// ctr-image: the local image store.
#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "log.hpp"

using namespace ctr;
using namespace ctr::img;

int main(int argc, char** argv)
{
    CLI::App app{"ctr-image: the local image store", "ctr-image"};
    app.set_version_flag("--version", std::string("ctr-image version ") + CTR_VERSION);
    app.require_subcommand(1);
    std::string root;
    bool debug = false;
    app.add_option("--root", root, "store directory (default $CTR_ROOT or /var/lib/ctr)");
    app.add_flag("--debug", debug, "log debug messages");
    std::function<int(const Store&)> action;

    std::string format = "table", name, dest, output, input, path;
    std::vector<std::string> names;
    reg::RegistryFlags flags;

    auto* ls = app.add_subcommand("ls", "list images");
    ls->add_option("--format", format, "table or json");
    ls->callback([&] { action = [&](const Store& s) { return cmd_ls(s, format); }; });

    auto* inspect = app.add_subcommand("inspect", "print an image's config and manifest");
    inspect->add_option("--format", path, "print only the value at this path (.config.Env, {{.Config.Env}})");
    inspect->add_option("name", name, "image")->required();
    inspect->callback([&] { action = [&](const Store& s) { return cmd_inspect(s, name, path); }; });

    auto* history = app.add_subcommand("history", "show how an image was made");
    history->add_option("name", name, "image")->required();
    history->callback([&] { action = [&](const Store& s) { return cmd_history(s, name); }; });

    auto* tag = app.add_subcommand("tag", "name an image again");
    tag->add_option("src", name, "image")->required();
    tag->add_option("dest", dest, "new name")->required()->check(reg::ReferenceValidator());
    tag->callback([&] { action = [&](const Store& s) { return cmd_tag(s, name, dest); }; });

    auto* rm = app.add_subcommand("rm", "remove names (blobs stay until gc)");
    rm->add_option("name", names, "images")->required();
    rm->callback([&] { action = [&](const Store& s) { return cmd_rm(s, names); }; });

    auto* gc = app.add_subcommand("gc", "remove unreferenced blobs and extracted layers");
    gc->callback([&] { action = [&](const Store& s) { return cmd_gc(s); }; });

    std::string archive_format = "oci-archive";
    auto* save = app.add_subcommand("save", "write images to a tar archive");
    save->add_option("-o,--output", output, "file (default: standard output)");
    save->add_option("--format", archive_format, "oci-archive or docker-archive");
    save->add_option("name", names, "images")->required();
    save->callback([&] { action = [&](const Store& s) { return cmd_save(s, names, output, archive_format); }; });

    auto* load = app.add_subcommand("load", "add the images of a tar archive");
    load->add_option("-i,--input", input, "file (default: standard input)");
    load->callback([&] { action = [&](const Store& s) { return cmd_load(s, input); }; });

    auto* search = app.add_subcommand("search", "list a registry's repositories");
    reg::add_registry_flags(*search, flags);
    search->add_option("registry", name, "REGISTRY[/PREFIX]")->required();
    search->callback([&] { action = [&](const Store&) { return cmd_search(name, flags); }; });

    auto* tags = app.add_subcommand("tags", "list a repository's tags");
    reg::add_registry_flags(*tags, flags);
    tags->add_option("repo", name, "repository")->required();
    tags->callback([&] { action = [&](const Store&) { return cmd_tags(name, flags); }; });

    return run_cli(app, argc, argv, [&] {
        log::init("ctr-image", "", log::Format::Text, debug);
        Store store(root.empty() ? default_store_root() : root);
        if (!search->parsed() && !tags->parsed())
            store.init();
        return action(store);
    });
}
