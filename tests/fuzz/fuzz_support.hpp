// Shared by the fuzz targets in this directory.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace fuzz {

// ctr-run has 8 MiB of stack; an ASan build uses ~10 times more per frame.
// With 1 MiB here, recursion that follows the nesting of the input (which
// overflows ctr-run's stack at some 10^5 levels, a config.json of a few
// hundred KB) already overflows at ~10^3 levels, within -max_len. Called
// from LLVMFuzzerInitialize; the main thread's stack grows on demand, so the
// lower limit holds from here on.
inline void limit_stack()
{
    constexpr rlim_t kStack = 1 << 20;
    rlimit r{};
    if (getrlimit(RLIMIT_STACK, &r) == 0 && (r.rlim_cur == RLIM_INFINITY || r.rlim_cur > kStack)) {
        r.rlim_cur = kStack;
        setrlimit(RLIMIT_STACK, &r);
    }
}

// How deeply arrays and objects nest in JSON text (brackets in strings
// skipped). The harnesses copy and merge documents with nlohmann::json,
// which recurses per level; they do it only for shallow inputs, so that a
// stack overflow is always the code under test's.
inline size_t nesting(std::string_view text)
{
    size_t depth = 0, max = 0;
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            max = std::max(max, ++depth);
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return max;
}

// Real documents nest 5 or 6 levels deep.
constexpr size_t kMaxCopyNesting = 64;

} // namespace fuzz
