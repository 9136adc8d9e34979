#include "selfexe.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "error.hpp"
#include "file.hpp"
#include "log.hpp"
#include "mount.hpp"

extern char** environ;

namespace ctr::rt {

namespace {

constexpr const char* kMemfdName = "ctr-run";
constexpr int kCapSysPtrace = 19;
char** saved_argv = nullptr;

// Already safe: a sealed memfd copy, or a binary on a read-only mount (a
// re-exec through the read-only bind, or one installed that way).
bool running_protected()
{
    char buf[64] = {};
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    std::string want = std::string("/memfd:") + kMemfdName;
    if (n > 0 && std::string(buf, static_cast<size_t>(n)).rfind(want, 0) == 0)
        return true;
    struct statvfs st;
    return ::statvfs("/proc/self/exe", &st) == 0 && (st.f_flag & ST_RDONLY);
}

// CapBnd of /proc/PID/status, if the process is still there.
std::optional<uint64_t> bounding_set(pid_t pid)
{
    auto status = try_read_file("/proc/" + std::to_string(pid) + "/status");
    if (!status)
        return std::nullopt;
    size_t at = status->find("CapBnd:");
    if (at == std::string::npos)
        return std::nullopt;
    return std::stoull(status->substr(at + 7), nullptr, 16);
}

// A memfd copy: for kernels without the new mount API. It costs a copy of
// the whole binary.
void exec_memfd_copy()
{
    UniqueFd self = open_or_throw("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (::fstat(self.get(), &st) < 0)
        throw_errno("stat /proc/self/exe");
    UniqueFd copy(::memfd_create(kMemfdName, MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!copy)
        throw_errno("memfd_create for a sealed copy of ctr-run");
    for (off_t off = 0; off < st.st_size;) {
        ssize_t n = ::sendfile(copy.get(), self.get(), &off, static_cast<size_t>(st.st_size - off));
        if (n <= 0)
            throw_errno("copy ctr-run into a memfd");
    }
    int seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
    if (::fcntl(copy.get(), F_ADD_SEALS, seals) < 0)
        throw_errno("seal the memfd copy of ctr-run");
    log::debug("re-executing from a sealed copy (the container may ptrace)");
    ::syscall(SYS_execveat, copy.get(), "", saved_argv, environ, AT_EMPTY_PATH);
    throw_errno("execute the sealed copy of ctr-run");
}

} // namespace

void save_command_line(char** argv) { saved_argv = argv; }

bool bounds_ptrace(const Process& p)
{
    if (!p.capabilities)
        return false;
    const auto& b = p.capabilities->bounding;
    return std::find(b.begin(), b.end(), "CAP_SYS_PTRACE") != b.end();
}

bool may_reach_binary(const Spec& spec)
{
    if (!bounds_ptrace(spec.process))
        return false;
    const Namespace* user = spec.linux.find_namespace("user");
    if (!user || !user->path.empty())
        return true;
    // Host root mapped into the container: its root owns the host's files.
    return std::any_of(spec.linux.uid_mappings.begin(), spec.linux.uid_mappings.end(),
                       [](const IdMapping& m) { return m.host_id == 0; });
}

bool any_may_ptrace(const std::vector<pid_t>& pids)
{
    return std::any_of(pids.begin(), pids.end(), [](pid_t pid) {
        auto caps = bounding_set(pid);
        return caps && (*caps >> kCapSysPtrace & 1);
    });
}

void reexec_protected()
{
    if (running_protected() || !saved_argv)
        return;
    // A detached read-only bind of the binary: /proc/PID/exe then names a
    // file on a mount that is in no namespace (nobody can make it writable
    // again) and refuses writes with EROFS. No copy: the page cache is the binary's.
    UniqueFd tree;
    try {
        tree = mnt::clone_tree("/proc/self/exe", false);
        if (!mnt::set_flags_recursive(tree.get(), MS_RDONLY, "ctr-run"))
            fail("mount_setattr: not in this kernel");
    } catch (const Error& e) {
        log::debug(fmt::format("no read-only bind of ctr-run ({}), copying it", e.what()));
        exec_memfd_copy();
    }
    log::debug("re-executing from a sealed copy: a read-only bind (the container may ptrace)");
    ::syscall(SYS_execveat, tree.get(), "", saved_argv, environ, AT_EMPTY_PATH);
    throw_errno("execute ctr-run from its read-only bind");
}

} // namespace ctr::rt
