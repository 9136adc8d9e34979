// The one error type of ctr: a message naming what failed, plus errno when a
// system call is the reason. Thrown anywhere, caught once per process.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace ctr {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& what, int err = 0);
    int err() const noexcept { return err_; }
    // The message without the errno text, as given by the thrower.
    const std::string& context() const noexcept { return context_; }

private:
    std::string context_;
    int err_;
};

// Throws Error(what, errno): "what: strerror(errno)".
[[noreturn]] void throw_errno(const std::string& what);
[[noreturn]] void throw_errno(const std::string& what, int err);

template <class... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args)
{
    throw Error(fmt::format(f, std::forward<Args>(args)...));
}

} // namespace ctr
