// Runs a tool's main body under one error contract: usage errors exit 2,
// ctr::Error and other failures are reported once as one line and exit 1.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace ctr {

// after_parse (if given) runs once the command line is parsed, also when it
// was wrong, so a --log option can receive the usage error too.
int run_cli(CLI::App& app, int argc, char** argv, const std::function<int()>& body,
            const std::function<void()>& after_parse = {});

} // namespace ctr
