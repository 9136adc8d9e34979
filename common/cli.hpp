// Runs a tool's main body under one error contract: usage errors exit 2,
// ctr::Error and other failures are reported once as one line and exit 1.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace ctr {

int run_cli(CLI::App& app, int argc, char** argv, const std::function<int()>& body);

} // namespace ctr
