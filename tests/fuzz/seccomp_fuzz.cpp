// libFuzzer target for linux.seccomp: the bytes are a profile, parsed with
// parse_seccomp, compiled by SeccompFilter (libseccomp) and exported as BPF
// to /dev/null, which is all load() does short of the seccomp() call.
// The input is taken as the whole profile, and (to get deep quickly) as a
// merge patch onto a small valid profile, as one more entry of its
// syscalls, or (an array) as its whole syscalls list.
//
// ctr::Error is the expected outcome of bad input (parse_json turns syntax
// errors into one); any other exception escaping, a sanitizer report (leaks
// included), a libseccomp context left unreleased, a crash, a stack
// overflow (the stack is cut to 1 MiB, see fuzz_support.hpp) or a hang is
// a finding.
#include <fcntl.h>
#include <seccomp.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "error.hpp"
#include "fuzz_support.hpp"
#include "json_view.hpp"
#include "seccomp.hpp"

namespace {

using ctr::Json;
using ctr::JsonView;

// Trimmed from the containers default profile: an allow list, argument
// comparisons (one argument compared twice, too) and a kill rule.
const Json& base_profile()
{
    static const Json base = Json::parse(R"({
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [
            {"names": ["read", "write", "openat", "close", "mmap", "exit_group", "futex"],
             "action": "SCMP_ACT_ALLOW"},
            {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]},
            {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
            {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
             "args": [{"index": 0, "value": 16, "op": "SCMP_CMP_EQ"},
                      {"index": 0, "value": 40, "op": "SCMP_CMP_EQ"}]},
            {"names": ["kexec_load", "no_such_syscall"], "action": "SCMP_ACT_KILL_PROCESS"}
        ]})");
    return base;
}

int null_fd()
{
    static const int fd = [] {
        int f = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (f < 0)
            abort();
        return f;
    }();
    return fd;
}

// libseccomp contexts made and not yet released (see __wrap_seccomp_init).
int live_contexts = 0;

// Parse, compile, export; ctr::Error (a refused profile) is a normal end.
// SeccompFilter must release its context either way.
void compile(const Json& profile)
{
    try {
        ctr::rt::SeccompProfile p = ctr::rt::parse_seccomp(JsonView(profile, "linux.seccomp"));
        ctr::rt::SeccompFilter filter(p);
        filter.export_bpf(null_fd());
    } catch (const ctr::Error&) {
    }
    if (live_contexts != 0) {
        fprintf(stderr, "seccomp-fuzz: %d libseccomp context(s) left unreleased (seccomp_init without "
                        "seccomp_release) by SeccompFilter\n", live_contexts);
        abort();
    }
}

} // namespace

// libseccomp is built without frame pointers, so LeakSanitizer records its
// allocations as calloc <- zmalloc, whatever the caller: a context ctr-run
// forgets and libseccomp's own leaks (2.5.4 leaks in db_rule_add, e.g. for
// accept, accept4 and socketcall with an argument rule on x86) look alike.
// Those are left out of the leak reports, and ctr-run's side is checked
// instead by counting contexts: the link wraps seccomp_init and
// seccomp_release (-Wl,--wrap, tests/fuzz/meson.build).
extern "C" const char* __lsan_default_suppressions() { return "leak:zmalloc\n"; }

extern "C" scmp_filter_ctx __real_seccomp_init(uint32_t def_action);
extern "C" void __real_seccomp_release(scmp_filter_ctx ctx);

extern "C" scmp_filter_ctx __wrap_seccomp_init(uint32_t def_action)
{
    scmp_filter_ctx ctx = __real_seccomp_init(def_action);
    if (ctx)
        live_contexts++;
    return ctx;
}

extern "C" void __wrap_seccomp_release(scmp_filter_ctx ctx)
{
    if (ctx)
        live_contexts--;
    __real_seccomp_release(ctx);
}

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    fuzz::limit_stack();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    Json doc;
    try {
        doc = ctr::parse_json(text, "config.json");
    } catch (const ctr::Error&) {
        return 0;  // not JSON: parse_json names the document, as expected
    }

    compile(doc);
    if (fuzz::nesting(text) > fuzz::kMaxCopyNesting)
        return 0;
    if (doc.is_object()) {
        Json patched = base_profile();
        patched.merge_patch(doc);
        compile(patched);
        Json one_more = base_profile();
        one_more["syscalls"].push_back(doc);
        compile(one_more);
    } else if (doc.is_array()) {
        Json rules = base_profile();
        rules["syscalls"] = doc;
        compile(rules);
    }
    return 0;
}
