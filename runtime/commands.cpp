#include "commands.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "error.hpp"
#include "features.hpp"
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

std::string default_state_root()
{
    const char* xdg = std::getenv("XDG_RUNTIME_DIR");
    if (::geteuid() != 0 && xdg && *xdg)
        return std::string(xdg) + "/ctr";
    return "/run/ctr";
}

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
    if (detach) {
        run_monitored(store, opts);
        return 0;
    }
    Created c = create_container(store, opts);
    try {
        start_container(store, c.state);
    } catch (...) {
        delete_container(store, opts.id, true);
        throw;
    }
    int status = wait_foreground({c.state.pid, c.pidfd.get(), c.pty_master.get()});
    delete_container(store, opts.id, true);
    return status;
}

int cmd_exec(const GlobalOptions& g, const ExecOptions& o)
{
    return exec_in_container(store_of(g), o);
}

int cmd_events(const GlobalOptions& g, const std::string& id, const EventsOptions& o)
{
    return container_events(store_of(g), id, o);
}

int cmd_wait(const GlobalOptions& g, const std::string& id)
{
    print(std::to_string(wait_container(store_of(g), id)));
    return 0;
}

int cmd_state(const GlobalOptions& g, const std::string& id)
{
    StateStore store = store_of(g);
    print(store.describe(store.load(id)).dump(2));
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

namespace ctr::rt {

int cmd_features()
{
    print(features().dump(2));
    return 0;
}

int cmd_update(const GlobalOptions& g, const std::string& id, const UpdateOptions& u)
{
    StateStore store = store_of(g);
    ContainerState st = store.load(id);
    if (store.status(st) == Status::Stopped)
        fail("cannot update container \"{}\": it is stopped", id);
    Resources r;
    if (!u.resources_file.empty()) {
        std::string text = u.resources_file == "-" ? read_fd(STDIN_FILENO, "stdin") : read_file(u.resources_file);
        Json doc = parse_json(text, u.resources_file == "-" ? "stdin" : u.resources_file);
        r = parse_resources(JsonView(doc, "linux.resources"));
    }
    auto over = [](auto& field, const auto& flag) {
        if (flag)
            field = flag;
    };
    over(r.memory.limit, u.memory);
    over(r.memory.reservation, u.memory_reservation);
    over(r.memory.swap, u.memory_swap);
    over(r.cpu.quota, u.cpu_quota);
    over(r.cpu.shares, u.cpu_shares);
    over(r.cpu.period, u.cpu_period);
    over(r.pids_limit, u.pids_limit);
    if (!u.cpuset_cpus.empty())
        r.cpu.cpus = u.cpuset_cpus;
    if (!u.cpuset_mems.empty())
        r.cpu.mems = u.cpuset_mems;
    apply_resources(st.cgroup, r);
    return 0;
}

int cmd_pause(const GlobalOptions& g, const std::string& id, bool pause)
{
    pause_container(store_of(g), id, pause);
    return 0;
}

namespace {

// The output of ps(1) with args: runc's ps prints it filtered to the container.
std::string run_ps(const std::vector<std::string>& args)
{
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0)
        throw_errno("pipe");
    UniqueFd rd(fds[0]), wr(fds[1]);
    pid_t pid = ::fork();
    if (pid < 0)
        throw_errno("fork");
    if (pid == 0) {
        ::dup2(wr.get(), STDOUT_FILENO);
        std::vector<std::string> argv = {"ps"};
        argv.insert(argv.end(), args.begin(), args.end());
        ::execvp("ps", exec_array(argv).data());
        ::_exit(127);
    }
    wr.reset();
    std::string out = read_fd(rd.get(), "ps");
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("ps {}: failed (exit status {})", fmt::join(args, " "), WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return out;
}

} // namespace

int cmd_ps(const GlobalOptions& g, const std::string& id, const std::string& format,
           const std::vector<std::string>& ps_args)
{
    StateStore store = store_of(g);
    ContainerState st = store.load(id);
    if (format != "table" && format != "json")
        fail("--format: expected table or json, got \"{}\"", format);
    std::vector<pid_t> pids = store.status(st) == Status::Stopped ? std::vector<pid_t>{} : st.cgroup.pids();
    if (format == "json") {
        print(Json(pids).dump());
        return 0;
    }
    std::istringstream in(run_ps(ps_args.empty() ? std::vector<std::string>{"-ef"} : ps_args));
    std::string header;
    std::getline(in, header);
    std::istringstream h(header);
    size_t column = 0;
    for (std::string word; h >> word && word != "PID";)
        column++;
    if (h.fail())
        fail("ps {}: its output has no PID column", fmt::join(ps_args, " "));
    std::cout << header << '\n';
    for (std::string line; std::getline(in, line);) {
        std::istringstream l(line);
        std::string word;
        for (size_t i = 0; i <= column && l >> word; i++) {
        }
        if (!word.empty() && std::find(pids.begin(), pids.end(), std::atoi(word.c_str())) != pids.end())
            std::cout << line << '\n';
    }
    return 0;
}

} // namespace ctr::rt
