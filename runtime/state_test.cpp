#include <doctest/doctest.h>

#include <stdlib.h>
#include <unistd.h>

#include "commands.hpp"
#include "error.hpp"
#include "file.hpp"
#include "proc.hpp"
#include "state.hpp"

using namespace ctr;
using namespace ctr::rt;

TEST_CASE("container ids follow runc's rules")
{
    CHECK_NOTHROW(validate_id("abc-1_2.x+y"));
    CHECK_THROWS_AS(validate_id(""), Error);
    CHECK_THROWS_AS(validate_id(".."), Error);
    CHECK_THROWS_AS(validate_id("a/b"), Error);
    CHECK_THROWS_AS(validate_id("a b"), Error);
}

TEST_CASE("status is derived from the real process")
{
    char tmpl[] = "/tmp/ctr-state-test.XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    StateStore store(tmpl);
    store.reserve("c1");
    CHECK_THROWS_WITH(store.reserve("c1"), "container \"c1\" already exists");
    ContainerState st;
    st.id = "c1";
    st.pid = getpid();
    st.start_time = read_proc_stat(getpid())->start_time;
    st.bundle = "/b";
    st.rootfs = "/b/rootfs";
    st.created = "2026-01-01T00:00:00Z";
    store.save(st);
    CHECK(store.ids() == std::vector<std::string>{"c1"});
    ContainerState loaded = store.load("c1");
    CHECK(store.status(loaded) == Status::Running);
    write_file_atomic(store.fifo("c1"), "");
    CHECK(store.status(loaded) == Status::Created);
    loaded.start_time += 1;  // same pid, another process: the container is gone
    CHECK(store.status(loaded) == Status::Stopped);
    Json oci = loaded.oci(Status::Stopped);
    CHECK(oci["pid"] == 0);
    CHECK(oci["status"] == "stopped");
    CHECK(oci.contains("ociVersion"));
    CHECK_THROWS_WITH(store.load("nope"), "container \"nope\" does not exist");
    store.remove("c1");
    CHECK(store.ids().empty());
    remove_all(tmpl);
}

TEST_CASE("the list table aligns columns")
{
    std::string t = format_table({{"ID", "PID"}, {"longer-id", "1"}});
    CHECK(t == "ID          PID\nlonger-id   1\n");
}
