#include "parallel.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace ctr {

void parallel_for(size_t n, int jobs, const std::function<void(size_t)>& fn)
{
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex mu;
    std::exception_ptr error;
    auto worker = [&] {
        for (size_t i = next++; i < n && !failed; i = next++) {
            try {
                fn(i);
            } catch (...) {
                std::lock_guard<std::mutex> l(mu);
                if (!error)
                    error = std::current_exception();
                failed = true;
            }
        }
    };
    size_t threads = std::min<size_t>(static_cast<size_t>(std::max(jobs, 1)), std::max<size_t>(n, 1));
    std::vector<std::thread> pool;
    for (size_t t = 1; t < threads; t++)
        pool.emplace_back(worker);
    worker();
    for (auto& t : pool)
        t.join();
    if (error)
        std::rethrow_exception(error);
}

} // namespace ctr
