// libFuzzer target for config.json: the bytes go through parse_json and
// parse_spec as load_spec takes them, first alone, then (when they are an
// object nesting at most 64 levels) as an RFC 7396 merge patch onto the
// config.json `ctr-run spec` writes, plus a seccomp profile, so that a
// small input such as
// {"linux": {"resources": {"memory": {"swap": -2}}}} reaches a deep field of
// an otherwise valid document. parse_process and parse_hooks, also read
// from `exec --process` files and the state, get the input as well.
//
// ctr::Error is the expected outcome of bad input (and parse_json turns
// syntax errors into one); any other exception escaping, a sanitizer report
// (leaks included), a crash, a stack overflow (the stack is cut to 1 MiB,
// see fuzz_support.hpp) or a hang is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "error.hpp"
#include "fuzz_support.hpp"
#include "json_view.hpp"
#include "spec.hpp"
#include "spec_default.hpp"

namespace {

using ctr::Json;
using ctr::JsonView;

const Json& base_spec()
{
    static const Json base = [] {
        Json j = ctr::rt::default_spec();
        j["linux"]["seccomp"] = Json::parse(R"({
            "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
            "flags": ["SECCOMP_FILTER_FLAG_LOG"],
            "syscalls": [
                {"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"},
                {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                 "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}
            ]})");
        j["hooks"] = Json::parse(R"({"prestart": [{"path": "/bin/true", "args": ["true"], "timeout": 5}]})");
        j["annotations"] = {{"org.example.key", "value"}};
        return j;
    }();
    return base;
}

// Runs f, taking ctr::Error (bad input, reported to the user) as a normal end.
template <typename F>
void expect_ok_or_error(F&& f)
{
    try {
        f();
    } catch (const ctr::Error&) {
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    fuzz::limit_stack();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    const std::string bundle = "/run/bundle";

    Json doc;
    try {
        doc = ctr::parse_json(text, "config.json");
    } catch (const ctr::Error&) {
        return 0;  // not JSON: parse_json names the document, as expected
    }

    expect_ok_or_error([&] { ctr::rt::parse_spec(doc, bundle); });

    expect_ok_or_error([&] { ctr::rt::parse_process(JsonView(doc, "process")); });
    expect_ok_or_error([&] { ctr::rt::parse_hooks(JsonView(doc, "hooks")); });
    if (doc.is_object() && fuzz::nesting(text) <= fuzz::kMaxCopyNesting) {
        Json patched = base_spec();
        patched.merge_patch(doc);
        expect_ok_or_error([&] { ctr::rt::parse_spec(patched, bundle); });
    }
    return 0;
}
