#include "cli.hpp"

#include "error.hpp"
#include "log.hpp"

namespace ctr {

namespace {

// "frobnicate" given where a subcommand is expected reads better as that.
std::string usage_error(const CLI::App& app, const CLI::ParseError& e)
{
    auto extras = app.remaining();
    if (app.get_subcommands().empty() && !app.get_subcommands({}).empty() && !extras.empty() &&
        extras.front().rfind("-", 0) != 0)
        return "unknown command \"" + extras.front() + "\" (see --help)";
    return std::string(e.what()) + " (see --help)";
}

} // namespace

int run_cli(CLI::App& app, int argc, char** argv, const std::function<int()>& body,
            const std::function<void()>& after_parse)
{
    log::init(app.get_name(), "", log::Format::Text, false);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0)
            return app.exit(e);
        try {
            if (after_parse)
                after_parse();
        } catch (const std::exception&) {
        }
        log::error(usage_error(app, e));
        return 2;
    }
    try {
        if (after_parse)
            after_parse();
        return body();
    } catch (const Error& e) {
        log::error(e.what());
    } catch (const std::exception& e) {
        log::error(e.what());
    }
    return 1;
}

} // namespace ctr
