#include <doctest/doctest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "parallel.hpp"

using namespace ctr;

TEST_CASE("parallel_for runs every item once")
{
    for (int jobs : {1, 3, 16}) {
        std::vector<std::atomic<int>> seen(50);
        parallel_for(seen.size(), jobs, [&](size_t i) { seen[i]++; });
        for (auto& s : seen)
            CHECK(s == 1);
    }
    parallel_for(0, 4, [](size_t) { FAIL("no items, no calls"); });
}

TEST_CASE("the first failure is rethrown and stops new items")
{
    std::atomic<int> ran{0};
    CHECK_THROWS_WITH(parallel_for(1000, 2, [&](size_t i) {
        ran++;
        if (i == 3)
            throw std::runtime_error("item 3 failed");
    }), "item 3 failed");
    CHECK(ran < 1000);
}
