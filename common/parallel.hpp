// Runs fn(0..n-1) on up to `jobs` threads (the caller's included). The
// first exception stops further items and is rethrown once all threads
// have finished.
#pragma once

#include <cstddef>
#include <functional>

namespace ctr {

void parallel_for(size_t n, int jobs, const std::function<void(size_t)>& fn);

} // namespace ctr
