#include <doctest/doctest.h>

#include <string>

#include "dbus.hpp"

using namespace ctr::rt::dbus;

TEST_CASE("D-Bus marshalling: alignment, array lengths without padding, strings")
{
    Writer w;
    w.byte(1);
    w.str("ab");  // aligned to 4: 3 bytes of padding first
    auto a = w.open_array(8);  // u32 length at 12, elements from 16
    w.open_struct();
    w.u32(7);
    w.close_array(a);
    const std::string& d = w.data();
    REQUIRE(d.size() == 20);
    CHECK(d.substr(0, 4) == std::string("\1\0\0\0", 4));
    CHECK(d.substr(4, 7) == std::string("\2\0\0\0ab\0", 7));
    CHECK(d.substr(12, 4) == std::string("\4\0\0\0", 4));  // 4 bytes of elements, not 8
    Reader r(d.substr(4));
    CHECK(r.str() == "ab");
    CHECK(r.u32() == 4);
}
