// Registry credentials and authentication challenges.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace ctr::reg {

struct Credentials {
    std::string user;
    std::string pass;
};

struct AuthOptions {
    std::optional<Credentials> creds;  // --creds user:pass
    std::string authfile;              // --authfile
};

Credentials parse_creds(const std::string& text);  // "user:pass"

// The credentials for a registry, looked up in order: --creds, --authfile,
// $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
// ~/.docker/config.json (with credHelpers and credsStore run as
// docker-credential-NAME get). nullopt: anonymous.
std::optional<Credentials> find_credentials(const std::string& registry, const AuthOptions& opts);

// Looks in one auth file (containers auth.json or docker config.json format).
std::optional<Credentials> credentials_from_file(const std::string& path, const std::string& registry);

struct Challenge {
    std::string scheme;  // "basic" or "bearer" (lower case)
    std::map<std::string, std::string> params;  // realm, service, scope
};

// WWW-Authenticate: Bearer realm="https://auth/token",service="registry",scope="..."
std::optional<Challenge> parse_challenge(const std::string& header);

} // namespace ctr::reg
