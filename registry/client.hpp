// A client of one registry's distribution API: scheme choice (HTTPS first,
// HTTP only for insecure registries), authentication (basic, bearer token
// flow), manifests and blobs with verification, retries and resume.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth.hpp"
#include "http.hpp"
#include "layout.hpp"

namespace ctr::reg {

struct RegistryOptions {
    AuthOptions auth;
    std::optional<bool> tls_verify;      // --tls-verify; unset: verify, HTTP allowed for loopback
    std::string cert_dir;                // --cert-dir
    std::vector<std::string> insecure;   // --insecure HOST[:PORT]
};

struct FetchedManifest {
    std::string body;
    std::string media_type;
    std::string digest;
};

class RegistryClient {
public:
    RegistryClient(const std::string& registry, RegistryOptions opts);

    const std::string& host() const { return host_; }
    // A connection of its own for a worker thread.
    std::unique_ptr<Http> connect() const;

    FetchedManifest get_manifest(Http& http, const std::string& repo, const std::string& reference);
    // Downloads a blob into w, resuming and retrying; verified by w.finish().
    // on_data, when set, hears of every chunk written (for progress).
    void get_blob(Http& http, const std::string& repo, const img::Descriptor& d, img::BlobWriter& w,
                  const std::function<void(int64_t offset)>& on_data = {});

    // One API call: url is a path "/v2/..." (or a full URL the registry gave),
    // scope e.g. "repository:library/busybox:pull".
    HttpResponse request(Http& http, HttpRequest req, const std::string& scope);

    const std::string& registry() const { return registry_; }

private:
    void choose_scheme(Http& http);
    std::string authorization(Http& http, const std::string& scope, bool refresh);
    std::string fetch_token(Http& http, const Challenge& c, const std::string& scope);

    std::string registry_;  // the name in references ("docker.io")
    std::string host_;      // where it is served ("registry-1.docker.io")
    RegistryOptions opts_;
    TlsConfig tls_;
    bool allow_http_ = false;
    std::optional<Credentials> creds_;

    std::mutex mu_;
    std::string base_;  // "https://host" once chosen
    std::optional<Challenge> challenge_;
    std::map<std::string, std::string> tokens_;  // scope -> Authorization header
};

// "401 UNAUTHORIZED: authentication required" from a registry's error body.
std::string error_text(const HttpResponse& r);

// Hosts that may be reached over plain HTTP by default (loopback), per
// registries.conf, or named with --insecure.
bool is_insecure_registry(const std::string& host, const std::vector<std::string>& insecure);

} // namespace ctr::reg
