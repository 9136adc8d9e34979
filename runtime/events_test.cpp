#include <doctest/doctest.h>

#include "error.hpp"
#include "events.hpp"

using namespace ctr::rt;
using namespace std::chrono_literals;

TEST_CASE("events --interval takes Go-style durations")
{
    CHECK(parse_interval("5s") == 5s);
    CHECK(parse_interval("500ms") == 500ms);
    CHECK(parse_interval("1m30s") == 90s);
    CHECK(parse_interval("1.5s") == 1500ms);
    CHECK(parse_interval("2h") == 2h);
    for (const char* bad : {"", "5", "5x", "s", "0s", "-1s", "1s5"})
        CHECK_THROWS_AS(parse_interval(bad), ctr::Error);
}
