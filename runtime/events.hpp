// `events`: the container's resource usage as JSON lines every interval
// ({"type":"stats","id":...,"data":{...}}), OOM kills as they happen
// ({"type":"oom"}), until the container stops; --stats prints one and exits.
#pragma once

#include <chrono>
#include <string>

#include "state.hpp"

namespace ctr::rt {

struct EventsOptions {
    bool stats_once = false;
    std::string interval = "5s";
};

// Go-style durations, as runc takes them: "5s", "500ms", "1m30s".
std::chrono::nanoseconds parse_interval(const std::string& text);

int container_events(const StateStore& store, const std::string& id, const EventsOptions& o);

} // namespace ctr::rt
