// ctr-run: an OCI runtime with runc's command line.
#include <sys/prctl.h>

#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "log.hpp"
#include "selfexe.hpp"
#include "spec_default.hpp"

using namespace ctr;
using namespace ctr::rt;

namespace {

void add_create_flags(CLI::App* cmd, CreateOptions& o)
{
    cmd->add_option("-b,--bundle", o.bundle, "bundle directory (default: current directory)");
    cmd->add_option("--pid-file", o.pid_file, "write init's pid to this file");
    cmd->add_option("--console-socket", o.console_socket, "unix socket to receive the pty master");
    cmd->add_flag("--no-pivot", o.no_pivot, "use MS_MOVE and chroot instead of pivot_root");
    cmd->add_flag("--no-new-keyring", o.no_new_keyring, "keep the caller's session keyring");
    cmd->add_option("--preserve-fds", o.preserve_fds, "pass fds 3 .. 3+N-1 to the container");
    cmd->add_option("id", o.id, "container id")->required();
}

} // namespace

int main(int argc, char** argv)
{
    // CVE-2019-5736: the container's init and exec'd processes are forks of
    // this binary until their execve; non-dumpable, their /proc/PID/exe (the
    // host's ctr-run) cannot be opened by the container's processes (which
    // lack CAP_SYS_PTRACE). Inherited by fork, reset by execve. For another
    // user it would only stop it from writing its own container's uid_map:
    // that user cannot write a ctr-run it does not own anyway.
    if (::geteuid() == 0)
        ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    save_command_line(argv);
    CLI::App app{"ctr-run: run containers from OCI bundles (runc-compatible)", "ctr-run"};
    app.set_version_flag("-v,--version", std::string("ctr-run version ") + CTR_VERSION + "\nspec: " + kOciVersion);
    app.require_subcommand(1);
    GlobalOptions g;
    g.root = default_state_root();
    app.add_option("--root", g.root, "state directory (default /run/ctr; $XDG_RUNTIME_DIR/ctr for other users)");
    app.add_option("--log", g.log_file, "log file");
    app.add_option("--log-format", g.log_format, "log format: text or json")
        ->check(CLI::IsMember({"text", "json"}));
    app.add_flag("--debug", g.debug, "log debug messages");
    app.add_flag("--systemd-cgroup", g.systemd_cgroup, "have systemd make each container's cgroup (a transient scope)");

    std::function<int()> action;

    std::string spec_bundle = ".";
    bool rootless = false;
    auto* spec = app.add_subcommand("spec", "write a default config.json");
    spec->add_option("-b,--bundle", spec_bundle, "bundle directory");
    spec->add_flag("--rootless", rootless, "a configuration for a user without privileges");
    spec->callback([&] { action = [&] { return cmd_spec(spec_bundle, rootless); }; });

    CreateOptions create_opts;
    auto* create = app.add_subcommand("create", "create a container: its init waits for start");
    add_create_flags(create, create_opts);
    create->callback([&] { action = [&] { return cmd_create(g, create_opts); }; });

    CreateOptions run_opts;
    bool detach = false;
    auto* run = app.add_subcommand("run", "create and start a container, wait for it");
    add_create_flags(run, run_opts);
    run->add_flag("-d,--detach", detach, "do not wait for the container");
    run->callback([&] { action = [&] { return cmd_run(g, run_opts, detach); }; });

    std::string id;
    auto* start = app.add_subcommand("start", "start the process of a created container");
    start->add_option("id", id, "container id")->required();
    start->callback([&] { action = [&] { return cmd_start(g, id); }; });

    auto* wait = app.add_subcommand("wait", "wait for a container started by run --detach; print its exit status");
    wait->add_option("id", id, "container id")->required();
    wait->callback([&] { action = [&] { return cmd_wait(g, id); }; });

    auto* state = app.add_subcommand("state", "print the OCI state of a container");
    state->add_option("id", id, "container id")->required();
    state->callback([&] { action = [&] { return cmd_state(g, id); }; });

    std::string format = "table";
    bool quiet = false;
    auto* list = app.add_subcommand("list", "list containers");
    list->add_option("-f,--format", format, "table or json");
    list->add_flag("-q,--quiet", quiet, "print ids only");
    list->callback([&] { action = [&] { return cmd_list(g, format, quiet); }; });

    std::string signal = "SIGTERM";
    bool all = false;
    auto* kill = app.add_subcommand("kill", "send a signal to a container's init");
    kill->add_flag("-a,--all", all, "signal every process of the container");
    kill->add_option("id", id, "container id")->required();
    kill->add_option("signal", signal, "signal name or number (default SIGTERM)");
    kill->callback([&] { action = [&] { return cmd_kill(g, id, signal, all); }; });

    std::vector<std::string> ids;
    bool force = false;
    auto* del = app.add_subcommand("delete", "delete containers and their state");
    del->add_flag("-f,--force", force, "kill a running container first");
    del->add_option("id", ids, "container ids")->required();
    del->callback([&] { action = [&] { return cmd_delete(g, ids, force); }; });

    for (bool pausing : {true, false}) {
        auto* cmd = app.add_subcommand(pausing ? "pause" : "resume",
                                       pausing ? "freeze a container's processes" : "thaw a paused container");
        cmd->add_option("id", id, "container id")->required();
        cmd->callback([&, pausing] { action = [&, pausing] { return cmd_pause(g, id, pausing); }; });
    }

    EventsOptions ev;
    auto* events = app.add_subcommand("events", "print resource usage and OOM events as JSON lines");
    events->add_flag("--stats", ev.stats_once, "print the usage once and exit");
    events->add_option("--interval", ev.interval, "time between stats lines (default 5s)");
    events->add_option("id", id, "container id")->required();
    events->callback([&] { action = [&] { return cmd_events(g, id, ev); }; });

    auto* features = app.add_subcommand("features", "print the OCI features document of this runtime");
    features->callback([&] { action = [&] { return cmd_features(); }; });

    UpdateOptions upd;
    auto* update = app.add_subcommand("update", "change the resource limits of a container");
    update->add_option("-r,--resources", upd.resources_file, "a linux.resources JSON file, or - for stdin");
    update->add_option("--memory", upd.memory, "memory limit in bytes (-1: none)");
    update->add_option("--memory-reservation", upd.memory_reservation, "memory soft limit in bytes");
    update->add_option("--memory-swap", upd.memory_swap, "memory plus swap limit in bytes (-1: none)");
    update->add_option("--cpu-shares", upd.cpu_shares, "CPU shares (relative weight)");
    update->add_option("--cpu-quota", upd.cpu_quota, "CPU time per period in microseconds (-1: none)");
    update->add_option("--cpu-period", upd.cpu_period, "CPU period in microseconds");
    update->add_option("--cpuset-cpus", upd.cpuset_cpus, "CPUs to run on: 0-1, 0,2, ...");
    update->add_option("--cpuset-mems", upd.cpuset_mems, "memory nodes to use");
    update->add_option("--pids-limit", upd.pids_limit, "processes at most (<= 0: none)");
    update->add_option("id", id, "container id")->required();
    update->callback([&] { action = [&] { return cmd_update(g, id, upd); }; });

    std::vector<std::string> ps_args;
    auto* ps = app.add_subcommand("ps", "list the processes of a container");
    ps->add_option("-f,--format", format, "table (ps -ef, or ps with the options after ID) or json (pids)");
    ps->add_option("id", id, "container id")->required();
    // After the id, ps(1)'s own options, passed on in order as runc does
    // ("ps ID -o pid,comm"); a "--" before them is dropped.
    ps->allow_extras();
    ps->callback([&] {
        for (const auto& extra : ps->remaining())
            if (extra != "--" || !ps_args.empty())
                ps_args.push_back(extra);
        action = [&] { return cmd_ps(g, id, format, ps_args); };
    });

    ExecOptions ex;
    auto* exec = app.add_subcommand("exec", "run one more process in a running container");
    exec->add_option("-p,--process", ex.process_file, "a process JSON file (- for stdin) instead of a command");
    exec->add_flag("-t,--tty", ex.tty, "give the process a pty");
    exec->add_option("-e,--env", ex.env, "set NAME=VALUE (repeatable)")->allow_extra_args(false);
    exec->add_option("--cwd", ex.cwd, "working directory in the container");
    exec->add_option("-u,--user", ex.user, "UID[:GID] to run as");
    exec->add_option("-g,--additional-gids", ex.additional_gids, "supplementary gid (repeatable)")
        ->allow_extra_args(false);
    exec->add_option("-c,--cap", ex.caps, "add a capability (repeatable)")->allow_extra_args(false);
    exec->add_flag("--no-new-privs", ex.no_new_privs, "set no_new_privs for the process");
    exec->add_flag("-d,--detach", ex.detach, "do not wait for the process");
    exec->add_option("--pid-file", ex.pid_file, "write the process's pid to this file");
    exec->add_option("--console-socket", ex.console_socket, "unix socket to receive the pty master");
    exec->add_option("--preserve-fds", ex.preserve_fds, "pass fds 3 .. 3+N-1 to the process");
    exec->add_flag("--ignore-paused", ex.ignore_paused, "exec even if the container is paused");
    exec->add_option("id", ex.id, "container id")->required();
    // Everything after the id is the command, its options included.
    exec->prefix_command();
    exec->callback([&] {
        for (const auto& arg : exec->remaining())
            if (arg != "--" || !ex.args.empty())
                ex.args.push_back(arg);
        action = [&] { return cmd_exec(g, ex); };
    });

    return run_cli(app, argc, argv, [&] { return action(); }, [&] {
        log::init("ctr-run", g.log_file, g.log_format == "json" ? log::Format::Json : log::Format::Text,
                  g.debug);
    });
}
