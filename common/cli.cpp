#include "cli.hpp"

#include "error.hpp"
#include "log.hpp"

namespace ctr {

int run_cli(CLI::App& app, int argc, char** argv, const std::function<int()>& body)
{
    log::init(app.get_name(), "", log::Format::Text, false);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0)
            return app.exit(e);
        log::error(std::string(e.what()) + " (see --help)");
        return 2;
    }
    try {
        return body();
    } catch (const Error& e) {
        log::error(e.what());
    } catch (const std::exception& e) {
        log::error(e.what());
    }
    return 1;
}

} // namespace ctr
