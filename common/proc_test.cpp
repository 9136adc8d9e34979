#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include "error.hpp"
#include "proc.hpp"

using namespace ctr;

TEST_CASE("parse_signal accepts names with and without SIG, and numbers")
{
    CHECK(parse_signal("KILL") == SIGKILL);
    CHECK(parse_signal("SIGKILL") == SIGKILL);
    CHECK(parse_signal("term") == SIGTERM);
    CHECK(parse_signal("9") == 9);
    CHECK(parse_signal("RTMIN+1") == SIGRTMIN + 1);
    CHECK_THROWS_AS(parse_signal("NOPE"), Error);
    CHECK_THROWS_AS(parse_signal("0"), Error);
    CHECK_THROWS_AS(parse_signal("999"), Error);
    CHECK(signal_name(SIGTERM) == "SIGTERM");
}

TEST_CASE("process identity includes the start time")
{
    auto st = read_proc_stat(getpid());
    REQUIRE(st.has_value());
    CHECK(process_alive(getpid(), st->start_time));
    CHECK_FALSE(process_alive(getpid(), st->start_time + 1));
    CHECK_FALSE(process_alive(0, 0));
}
