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
    // One job: nothing after the failing item runs. (With more, how many
    // items the others finish before they see the failure is a race.)
    std::atomic<int> ran{0};
    CHECK_THROWS_WITH(parallel_for(1000, 1, [&](size_t i) {
        ran++;
        if (i == 3)
            throw std::runtime_error("item 3 failed");
    }), "item 3 failed");
    CHECK(ran == 4);
    // Several: the failure of any thread comes back from the call.
    CHECK_THROWS_WITH(parallel_for(1000, 4, [](size_t i) {
        if (i == 500)
            throw std::runtime_error("item 500 failed");
    }), "item 500 failed");
}
