#include "commands.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "error.hpp"
#include "file.hpp"
#include "foreground.hpp"
#include "log.hpp"
#include "proc.hpp"
#include "spec_default.hpp"

namespace ctr::rt {

namespace {

StateStore store_of(const GlobalOptions& g) { return StateStore(g.root); }

void print(const std::string& text)
{
    std::cout << text << '\n';
    std::cout.flush();
}

} // namespace

int cmd_spec(const std::string& bundle, bool rootless)
{
    std::string path = bundle + "/config.json";
    if (path_exists(path))
        fail("{}: file exists; remove it first", path);
    Json spec = rootless ? rootless_spec(::getuid(), ::getgid()) : default_spec();
    write_file_atomic(path, spec.dump(1, '\t') + "\n", 0644);
    return 0;
}

int cmd_create(const GlobalOptions& g, CreateOptions opts)
{
    opts.systemd_cgroup = g.systemd_cgroup;
    create_container(store_of(g), opts);
    return 0;
}

int cmd_start(const GlobalOptions& g, const std::string& id)
{
    StateStore store = store_of(g);
    start_container(store, store.load(id));
    return 0;
}

int cmd_run(const GlobalOptions& g, CreateOptions opts, bool detach)
{
    StateStore store = store_of(g);
    opts.systemd_cgroup = g.systemd_cgroup;
    opts.foreground = !detach;
    Created c = create_container(store, opts);
    try {
        start_container(store, c.state);
    } catch (...) {
        delete_container(store, opts.id, true);
        throw;
    }
    if (detach)
        return 0;
    int status = wait_foreground(c);
    delete_container(store, opts.id, true);
    return status;
}

int cmd_state(const GlobalOptions& g, const std::string& id)
{
    StateStore store = store_of(g);
    ContainerState st = store.load(id);
    print(st.oci(store.status(st)).dump(2));
    return 0;
}

std::string format_table(const std::vector<std::vector<std::string>>& rows)
{
    std::vector<size_t> width;
    for (const auto& row : rows)
        for (size_t i = 0; i < row.size(); i++) {
            width.resize(std::max(width.size(), row.size()));
            width[i] = std::max(width[i], row[i].size());
        }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (size_t i = 0; i < row.size(); i++) {
            line += row[i];
            if (i + 1 < row.size())
                line += std::string(width[i] - row[i].size() + 3, ' ');
        }
        out += line + "\n";
    }
    return out;
}

int cmd_list(const GlobalOptions& g, const std::string& format, bool quiet)
{
    StateStore store = store_of(g);
    if (format != "table" && format != "json")
        fail("--format: expected table or json, got \"{}\"", format);
    std::vector<Json> states;
    for (const auto& id : store.ids()) {
        try {
            ContainerState st = store.load(id);
            states.push_back(st.oci(store.status(st)));
        } catch (const Error& e) {
            log::warn(e.what());
        }
    }
    if (quiet) {
        for (const auto& s : states)
            print(s["id"].get<std::string>());
    } else if (format == "json") {
        print(Json(states).dump());
    } else {
        std::vector<std::vector<std::string>> rows = {{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
        for (const auto& s : states)
            rows.push_back({s["id"], std::to_string(s["pid"].get<int>()), s["status"], s["bundle"],
                            s["created"], s["owner"]});
        std::cout << format_table(rows);
    }
    return 0;
}

int cmd_kill(const GlobalOptions& g, const std::string& id, const std::string& signal, bool all)
{
    kill_container(store_of(g), id, parse_signal(signal), all);
    return 0;
}

int cmd_delete(const GlobalOptions& g, const std::vector<std::string>& ids, bool force)
{
    StateStore store = store_of(g);
    for (const auto& id : ids)
        delete_container(store, id, force);
    return 0;
}

} // namespace ctr::rt
