#include "userns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.hpp"
#include "file.hpp"
#include "proc.hpp"

namespace ctr::rt {

namespace {

constexpr size_t kMaxLines = 340;  // the kernel's limit per map

bool overlap(uint64_t a, uint64_t b, uint64_t size_a, uint64_t size_b)
{
    return a < b + size_b && b < a + size_a;
}

bool maps_only_self(const std::vector<IdMapping>& m, uint32_t self)
{
    return m.size() == 1 && m[0].host_id == self && m[0].size == 1;
}

// newuidmap PID containerID hostID size ...: the setuid helper from the
// uidmap package checks the ranges against /etc/subuid.
void run_map_helper(const char* helper, pid_t pid, const std::vector<IdMapping>& m)
{
    std::vector<std::string> args = {helper, std::to_string(pid)};
    for (const auto& e : m)
        for (uint32_t n : {e.container_id, e.host_id, e.size})
            args.push_back(std::to_string(n));
    pid_t child = ::fork();
    if (child < 0)
        throw_errno(std::string("fork ") + helper);
    if (child == 0) {
        auto argv = exec_array(args);
        ::execvp(helper, argv.data());
        _exit(127);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0)
        if (errno != EINTR)
            throw_errno(std::string("wait for ") + helper);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        fail("linux.uidMappings: {} is needed to map more than your own id (install the uidmap package)", helper);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("linux.uidMappings: {} refused the mapping (check /etc/subuid and /etc/subgid)", helper);
}

void write_map(pid_t pid, const char* file, const std::vector<IdMapping>& m)
{
    std::string path = "/proc/" + std::to_string(pid) + "/" + file;
    try {
        write_existing_file(path, format_id_map(m));
    } catch (const Error& e) {
        throw Error(fmt::format("linux.{}Mappings: write {}", file[0] == 'u' ? "uid" : "gid", path), e.err());
    }
}

} // namespace

std::vector<IdMapping> parse_id_mappings(const JsonView& v)
{
    std::vector<IdMapping> out;
    for (const auto& item : v.items()) {
        if (out.size() == kMaxLines)
            fail("{}: at most {} mappings", v.path(), kMaxLines);
        item.expect_object();
        IdMapping m{item.at("containerID").u32(), item.at("hostID").u32(), item.at("size").u32()};
        if (m.size == 0)
            fail("{}.size: must be greater than zero", item.path());
        for (const auto& o : out)
            if (overlap(m.container_id, o.container_id, m.size, o.size) ||
                overlap(m.host_id, o.host_id, m.size, o.size))
                fail("{}: overlaps an earlier mapping", item.path());
        out.push_back(m);
    }
    return out;
}

std::string format_id_map(const std::vector<IdMapping>& m)
{
    std::string out;
    for (const auto& e : m)
        out += fmt::format("{} {} {}\n", e.container_id, e.host_id, e.size);
    return out;
}

void write_id_maps(pid_t pid, const std::vector<IdMapping>& uids, const std::vector<IdMapping>& gids)
{
    if (::geteuid() == 0) {
        if (!uids.empty())
            write_map(pid, "uid_map", uids);
        if (!gids.empty())
            write_map(pid, "gid_map", gids);
        return;
    }
    // Without privilege, a process may map only its own ids, and its gid
    // only once setgroups is denied (else it could drop a group that denies it access).
    if (maps_only_self(uids, ::geteuid()))
        write_map(pid, "uid_map", uids);
    else if (!uids.empty())
        run_map_helper("newuidmap", pid, uids);
    if (maps_only_self(gids, ::getegid())) {
        write_existing_file("/proc/" + std::to_string(pid) + "/setgroups", "deny");
        write_map(pid, "gid_map", gids);
    } else if (!gids.empty()) {
        run_map_helper("newgidmap", pid, gids);
    }
}

UniqueFd make_user_namespace(const std::vector<IdMapping>& uids, const std::vector<IdMapping>& gids)
{
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) < 0)
        throw_errno("pipe");
    UniqueFd rd(ready[0]), wr(ready[1]);
    pid_t pid = ::fork();
    if (pid < 0)
        throw_errno("fork for a user namespace");
    if (pid == 0) {
        // Made, then kept until the parent has what it needs (the pipe closes when it kills us).
        char c = ::unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
        (void)!::write(wr.get(), &c, 1);
        ::pause();
        _exit(0);
    }
    wr.reset();
    auto reap = [pid] {
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
    };
    try {
        char c = 0;
        if (::read(rd.get(), &c, 1) != 1 || c != 'y')
            fail("make a user namespace for an idmapped mount: unshare refused");
        write_id_maps(pid, uids, gids);
        UniqueFd ns = open_or_throw("/proc/" + std::to_string(pid) + "/ns/user", O_RDONLY | O_CLOEXEC);
        reap();
        return ns;
    } catch (...) {
        reap();
        throw;
    }
}

void become_namespace_root()
{
    // EINVAL: 0 is not mapped; the process keeps its capabilities anyway.
    if (::setresgid(0, 0, 0) < 0 && errno != EINVAL)
        throw_errno("user namespace: setgid 0");
    if (::setresuid(0, 0, 0) < 0 && errno != EINVAL)
        throw_errno("user namespace: setuid 0");
}

} // namespace ctr::rt
