#include "seccomp.hpp"

#include <fcntl.h>

#include <seccomp.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "error.hpp"

namespace ctr::rt {

namespace {

// Actions that take an errno (ERRNO, TRACE) get it folded in later.
const std::map<std::string, uint32_t>& actions()
{
    static const std::map<std::string, uint32_t> kActions = {
        {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD},
        {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
        {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
        {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
        {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0)},
        {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0)},
        {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
        {"SCMP_ACT_LOG", SCMP_ACT_LOG},
        {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY},
    };
    return kActions;
}

const std::map<std::string, int>& operators()
{
    static const std::map<std::string, int> kOps = {
        {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
    };
    return kOps;
}

const char* const kArches[] = {"x86", "x86_64", "x32", "arm", "aarch64", "mips", "mips64", "mipsel",
                               "mips64n32", "mipsel64", "mipsel64n32", "ppc", "ppc64", "ppc64le",
                               "s390", "s390x", "parisc", "parisc64", "riscv64"};

uint32_t parse_action(const JsonView& v, std::optional<uint32_t> errno_ret)
{
    std::string name = v.str();
    auto it = actions().find(name);
    if (it == actions().end())
        fail("{}: unknown seccomp action \"{}\"", v.path(), name);
    if (it->second == SCMP_ACT_ERRNO(0))
        return SCMP_ACT_ERRNO(errno_ret.value_or(EPERM));
    if (it->second == SCMP_ACT_TRACE(0))
        return SCMP_ACT_TRACE(errno_ret.value_or(EPERM));
    return it->second;
}

uint32_t parse_arch(const JsonView& v)
{
    std::string name = v.str();
    std::string arch = name.rfind("SCMP_ARCH_", 0) == 0 ? name.substr(10) : "";
    std::transform(arch.begin(), arch.end(), arch.begin(), [](unsigned char c) { return std::tolower(c); });
    uint32_t token = arch.empty() ? 0 : seccomp_arch_resolve_name(arch.c_str());
    if (token == 0)
        fail("{}: unknown seccomp architecture \"{}\"", v.path(), name);
    return token;
}

SeccompArg parse_arg(const JsonView& v)
{
    SeccompArg a;
    a.index = v.at("index").u32();
    if (a.index > 5)
        fail("{}.index: a syscall has arguments 0 to 5, not {}", v.path(), a.index);
    a.value = v.at("value").u64();
    if (auto two = v.get("valueTwo"))
        a.value_two = two->u64();
    std::string op = v.at("op").str();
    auto it = operators().find(op);
    if (it == operators().end())
        fail("{}.op: unknown seccomp operator \"{}\"", v.path(), op);
    a.op = it->second;
    return a;
}

void parse_flags(const JsonView& v, SeccompProfile& p)
{
    for (const auto& f : v.items()) {
        std::string flag = f.str();
        if (flag == "SECCOMP_FILTER_FLAG_LOG")
            p.log = true;
        else if (flag == "SECCOMP_FILTER_FLAG_SPEC_ALLOW")
            p.spec_allow = true;
        else if (flag == "SECCOMP_FILTER_FLAG_TSYNC")
            p.tsync = true;
        else
            fail("{}: unknown seccomp flag \"{}\"", f.path(), flag);
    }
}

template <typename Map>
std::vector<std::string> names_of(const Map& m)
{
    std::vector<std::string> out;
    for (const auto& entry : m)
        out.push_back(entry.first);
    return out;
}

void check(int rc, const std::string& what)
{
    if (rc < 0)
        throw Error("linux.seccomp: " + what, -rc);
}

// One rule per syscall; comparisons of one argument twice go in rules of
// their own (libseccomp takes one comparison per argument in a rule).
void add_rule(scmp_filter_ctx ctx, uint32_t default_action, const SeccompRule& r)
{
    if (r.action == default_action)
        return;
    std::set<unsigned> indexes;
    bool repeated = false;
    std::vector<scmp_arg_cmp> cmps;
    for (const auto& a : r.args) {
        repeated = repeated || !indexes.insert(a.index).second;
        cmps.push_back({a.index, static_cast<scmp_compare>(a.op), a.value, a.value_two});
    }
    for (const auto& name : r.names) {
        int nr = seccomp_syscall_resolve_name(name.c_str());
        if (nr == __NR_SCMP_ERROR)
            continue;  // unknown to this libseccomp/kernel: skipped, as runc does
        if (!repeated) {
            check(seccomp_rule_add_array(ctx, r.action, nr, static_cast<unsigned>(cmps.size()), cmps.data()),
                  "add rule for " + name);
            continue;
        }
        for (const auto& c : cmps)
            check(seccomp_rule_add_array(ctx, r.action, nr, 1, &c), "add rule for " + name);
    }
}

void configure(scmp_filter_ctx ctx, const SeccompProfile& p)
{
    // no_new_privs is process.noNewPrivileges' to decide, not libseccomp's.
    check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0), "turn off libseccomp's no_new_privs");
    if (p.log)
        check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1), "SECCOMP_FILTER_FLAG_LOG");
    if (p.spec_allow)
        check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1), "SECCOMP_FILTER_FLAG_SPEC_ALLOW");
    if (p.tsync)
        check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1), "SECCOMP_FILTER_FLAG_TSYNC");
    for (uint32_t arch : p.architectures) {
        int rc = seccomp_arch_add(ctx, arch);
        if (rc != -EEXIST)
            check(rc, "add architecture");
    }
    for (const auto& r : p.rules)
        add_rule(ctx, p.default_action, r);
}

} // namespace

SeccompProfile parse_seccomp(const JsonView& v)
{
    v.expect_object();
    SeccompProfile p;
    std::optional<uint32_t> default_errno;
    if (auto e = v.get("defaultErrnoRet"))
        default_errno = e->u32();
    p.default_action = parse_action(v.at("defaultAction"), default_errno);
    if (auto a = v.get("architectures"))
        for (const auto& item : a->items())
            p.architectures.push_back(parse_arch(item));
    if (auto f = v.get("flags"))
        parse_flags(*f, p);
    p.listener_path = v.opt_str("listenerPath").value_or("");
    p.listener_metadata = v.opt_str("listenerMetadata").value_or("");
    if (!p.listener_path.empty() && p.listener_path[0] != '/')
        fail("{}.listenerPath: must be an absolute path", v.path());
    if (p.default_action == SCMP_ACT_NOTIFY)
        fail("{}.defaultAction: SCMP_ACT_NOTIFY cannot be the default (the runtime's own syscalls would wait on it)", v.path());
    if (auto list = v.get("syscalls"))
        for (const auto& item : list->items()) {
            SeccompRule r;
            r.names = item.at("names").strings();
            std::optional<uint32_t> errno_ret;
            if (auto e = item.get("errnoRet"))
                errno_ret = e->u32();
            r.action = parse_action(item.at("action"), errno_ret);
            if (r.action == SCMP_ACT_NOTIFY && p.listener_path.empty())
                fail("{}.action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath", item.path());
            p.notify = p.notify || r.action == SCMP_ACT_NOTIFY;
            if (auto args = item.get("args"))
                for (const auto& a : args->items())
                    r.args.push_back(parse_arg(a));
            p.rules.push_back(std::move(r));
        }
    return p;
}

std::vector<std::string> seccomp_action_names() { return names_of(actions()); }

std::vector<std::string> seccomp_operator_names() { return names_of(operators()); }

std::vector<std::string> seccomp_arch_names()
{
    std::vector<std::string> out;
    for (const char* a : kArches) {
        std::string name = a;
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::toupper(c); });
        out.push_back("SCMP_ARCH_" + name);
    }
    return out;
}

SeccompFilter::SeccompFilter(const SeccompProfile& p)
    : ctx_(seccomp_init(p.default_action)), notify_(p.notify)
{
    if (!ctx_)
        fail("linux.seccomp: cannot make a filter with that defaultAction");
    // The destructor does not run for a constructor that throws.
    try {
        configure(static_cast<scmp_filter_ctx>(ctx_), p);
    } catch (...) {
        seccomp_release(static_cast<scmp_filter_ctx>(ctx_));
        throw;
    }
}

SeccompFilter::~SeccompFilter() { seccomp_release(static_cast<scmp_filter_ctx>(ctx_)); }

void SeccompFilter::load()
{
    check(seccomp_load(static_cast<scmp_filter_ctx>(ctx_)), "load the filter");
    loaded_ = true;
}

UniqueFd SeccompFilter::notify_fd() const
{
    int fd = seccomp_notify_fd(static_cast<scmp_filter_ctx>(ctx_));
    if (fd < 0)
        throw Error("linux.seccomp: the loaded filter has no notification fd", -fd);
    int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (copy < 0)
        throw_errno("linux.seccomp: dup the notification fd");
    return UniqueFd(copy);
}

void SeccompFilter::export_bpf(int fd) const
{
    check(seccomp_export_bpf(static_cast<scmp_filter_ctx>(ctx_), fd), "export the filter");
}

} // namespace ctr::rt
