// Runs a cleanup at scope exit unless dismissed: the undo step of a
// multi-step operation that must leave nothing half-made behind.
#pragma once

#include <functional>
#include <utility>

namespace ctr {

class ScopeGuard {
public:
    explicit ScopeGuard(std::function<void()> undo) : undo_(std::move(undo)) {}
    ScopeGuard(const ScopeGuard&) = delete;
    ScopeGuard& operator=(const ScopeGuard&) = delete;
    ~ScopeGuard()
    {
        if (undo_) {
            try {
                undo_();
            } catch (...) {
                // Cleanup is best effort; the error that triggered it is what gets reported.
            }
        }
    }
    void dismiss() { undo_ = nullptr; }

private:
    std::function<void()> undo_;
};

} // namespace ctr
