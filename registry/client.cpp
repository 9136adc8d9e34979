#include "client.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <dirent.h>
#include <thread>

#include "digest.hpp"
#include "error.hpp"
#include "file.hpp"
#include "log.hpp"
#include "reference.hpp"

namespace ctr::reg {

namespace {

constexpr int kMaxAttempts = 6;
constexpr size_t kMaxManifest = 4 << 20;

const char* const kManifestAccept =
    "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

bool is_loopback(const std::string& host)
{
    std::string h = host.substr(0, host.rfind(':') == std::string::npos || host.back() == ']' ? host.size()
                                                                                               : host.rfind(':'));
    return h == "localhost" || h.rfind("127.", 0) == 0 || h == "[::1]";
}

// registries.conf: [[registry]] location = "host" / insecure = true, and the
// v1 form [registries.insecure] registries = ["host"].
bool insecure_in_registries_conf(const std::string& host)
{
    // $CONTAINERS_REGISTRIES_CONF overrides the system file, as in containers/image.
    const char* env = std::getenv("CONTAINERS_REGISTRIES_CONF");
    auto text = try_read_file(env && *env ? env : "/etc/containers/registries.conf");
    if (!text)
        return false;
    std::string location;
    bool in_v1_insecure = false;
    size_t pos = 0;
    while (pos < text->size()) {
        size_t end = text->find('\n', pos);
        std::string line = text->substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        pos = end == std::string::npos ? text->size() : end + 1;
        line = line.substr(0, line.find('#'));
        if (line.find("[[registry]]") != std::string::npos) {
            location.clear();
            in_v1_insecure = false;
        } else if (line.find("[registries.insecure]") != std::string::npos) {
            in_v1_insecure = true;
        } else if (line.find('[') == 0) {
            in_v1_insecure = false;
        }
        auto quoted = [&](const std::string& s) { return s.find("\"" + host + "\"") != std::string::npos ||
                                                         s.find("'" + host + "'") != std::string::npos; };
        if (line.find("location") != std::string::npos && line.find('=') != std::string::npos)
            location = quoted(line) ? host : "";
        if (line.find("insecure") != std::string::npos && line.find("true") != std::string::npos &&
            location == host)
            return true;
        if (in_v1_insecure && line.find("registries") != std::string::npos && quoted(line))
            return true;
    }
    return false;
}

// A cert dir as Docker and containers lay it out: *.crt are CAs, *.cert/*.key a client pair.
void load_cert_dir(const std::string& dir, TlsConfig& tls)
{
    DIR* d = ::opendir(dir.c_str());
    if (!d)
        return;
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d))
        names.push_back(e->d_name);
    ::closedir(d);
    auto ends = [](const std::string& s, const std::string& suffix) {
        return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    for (const auto& n : names) {
        if (ends(n, ".crt"))
            tls.ca_pem += read_file(dir + "/" + n) + "\n";
        if (ends(n, ".cert")) {
            tls.client_cert = dir + "/" + n;
            tls.client_key = dir + "/" + n.substr(0, n.size() - 5) + ".key";
        }
    }
}

} // namespace

std::string error_text(const HttpResponse& r)
{
    // Registries answer {"errors":[{"code","message"}]}.
    try {
        Json j = Json::parse(r.body);
        if (j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()) {
            const Json& e = j["errors"][0];
            return fmt::format("{} {}: {}", r.status, e.value("code", ""), e.value("message", ""));
        }
    } catch (const Json::exception&) {
    }
    return std::to_string(r.status);
}

namespace {

bool retryable(long status) { return status == 408 || status == 429 || status >= 500; }

void backoff(int attempt, const HttpResponse* r)
{
    long ms = std::min(200L << attempt, 5000L);
    if (r) {
        std::string after = r->header("retry-after");
        if (!after.empty() && std::isdigit(static_cast<unsigned char>(after[0])))
            ms = std::min(std::atol(after.c_str()) * 1000, 10000L);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

} // namespace

bool is_insecure_registry(const std::string& host, const std::vector<std::string>& insecure)
{
    for (const auto& h : insecure)
        if (h == host)
            return true;
    return is_loopback(host) || insecure_in_registries_conf(host);
}

RegistryClient::RegistryClient(const std::string& registry, RegistryOptions opts)
    : registry_(registry), host_(img::registry_endpoint(registry)), opts_(std::move(opts))
{
    tls_.verify = opts_.tls_verify.value_or(true);
    // --tls-verify=true forbids the HTTP fallback, even for loopback.
    allow_http_ = opts_.tls_verify == false ||
                  (!opts_.tls_verify && is_insecure_registry(registry_, opts_.insecure));
    std::string system = "/etc/ssl/certs/ca-certificates.crt";
    std::string dir = opts_.cert_dir;
    if (dir.empty())
        for (const char* base : {"/etc/containers/certs.d/", "/etc/docker/certs.d/"})
            if (path_exists(base + registry_))
                dir = base + registry_;
    if (!opts_.cert_dir.empty() && !path_exists(opts_.cert_dir))
        fail("--cert-dir {}: no such directory", opts_.cert_dir);
    load_cert_dir(dir, tls_);
    if (!tls_.ca_pem.empty())
        tls_.ca_pem = read_file(system) + "\n" + tls_.ca_pem;  // extra CAs add to the system's
    creds_ = find_credentials(registry_, opts_.auth);
}

std::unique_ptr<Http> RegistryClient::connect() const { return std::make_unique<Http>(tls_); }

void RegistryClient::choose_scheme(Http& http)
{
    std::lock_guard<std::mutex> lock(mu_);
    if (!base_.empty())
        return;
    HttpRequest ping;
    ping.url = "https://" + host_ + "/v2/";
    ping.timeout_s = 30;
    try {
        HttpResponse r = http.perform(ping);
        base_ = "https://" + host_;
        if (r.status == 401)
            challenge_ = parse_challenge(r.header("www-authenticate"));
        return;
    } catch (const TransportError& e) {
        if (!allow_http_)
            fail("registry {}: {} (plain HTTP is only used for insecure registries: --insecure {}, "
                 "or --tls-verify=false)", registry_, e.what(), registry_);
        log::debug(fmt::format("registry {}: HTTPS failed ({}), trying HTTP", registry_, e.what()));
    }
    ping.url = "http://" + host_ + "/v2/";
    HttpResponse r;
    try {
        r = http.perform(ping);
    } catch (const TransportError& e) {
        fail("registry {}: {}", registry_, e.what());
    }
    base_ = "http://" + host_;
    if (r.status == 401)
        challenge_ = parse_challenge(r.header("www-authenticate"));
}

std::string RegistryClient::fetch_token(Http& http, const Challenge& c, const std::string& scope)
{
    auto realm = c.params.find("realm");
    if (realm == c.params.end())
        fail("registry {}: bearer challenge without a realm", registry_);
    HttpRequest req;
    req.url = realm->second + "?";
    if (auto s = c.params.find("service"); s != c.params.end())
        req.url += "service=" + url_escape(s->second) + "&";
    // One scope= parameter per scope, as Docker's token protocol has it.
    size_t start = 0;
    while (start < scope.size()) {
        size_t end = scope.find(' ', start);
        std::string one = scope.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (!one.empty())
            req.url += (req.url.back() == '?' || req.url.back() == '&' ? "" : "&") + ("scope=" + url_escape(one));
        start = end == std::string::npos ? scope.size() : end + 1;
    }
    if (creds_)
        req.headers.push_back("Authorization: Basic " + base64_encode(creds_->user + ":" + creds_->pass));
    HttpResponse r;
    try {
        r = http.perform(req);
    } catch (const TransportError& e) {
        fail("registry {}: token service: {}", registry_, e.what());
    }
    if (r.status == 401 || r.status == 403)
        fail("registry {}: unauthorized: the token service refused {} ({})", registry_,
             creds_ ? "the credentials" : "anonymous access", error_text(r));
    if (r.status != 200)
        fail("registry {}: token service answered {}", registry_, error_text(r));
    Json j = parse_json(r.body, "token response");
    std::string token = j.value("token", j.value("access_token", ""));
    if (token.empty())
        fail("registry {}: token response has no token", registry_);
    return "Authorization: Bearer " + token;
}

std::string RegistryClient::authorization(Http& http, const std::string& scope, bool refresh)
{
    std::unique_lock<std::mutex> lock(mu_);
    if (!challenge_)
        return "";
    if (!refresh)
        if (auto it = tokens_.find(scope); it != tokens_.end())
            return it->second;
    Challenge c = *challenge_;
    lock.unlock();
    std::string header;
    if (c.scheme == "basic") {
        if (!creds_)
            fail("registry {}: unauthorized: credentials are required (--creds or --authfile)", registry_);
        header = "Authorization: Basic " + base64_encode(creds_->user + ":" + creds_->pass);
    } else if (c.scheme == "bearer") {
        header = fetch_token(http, c, scope);
    } else {
        fail("registry {}: unsupported authentication scheme \"{}\"", registry_, c.scheme);
    }
    lock.lock();
    tokens_[scope] = header;
    return header;
}

HttpResponse RegistryClient::request(Http& http, HttpRequest req, const std::string& scope)
{
    choose_scheme(http);
    // Upload locations may come back as absolute URLs; API paths start with "/".
    if (req.url.rfind("http://", 0) != 0 && req.url.rfind("https://", 0) != 0)
        req.url = base_ + req.url;
    std::vector<std::string> base_headers = req.headers;
    for (int attempt = 0;; attempt++) {
        req.headers = base_headers;
        std::string auth = authorization(http, scope, attempt > 0);
        if (!auth.empty())
            req.headers.push_back(auth);
        HttpResponse r = http.perform(req);
        if (r.status != 401 || attempt > 0)
            return r;
        // First 401 (or an expired token): learn the challenge and try once more.
        auto c = parse_challenge(r.header("www-authenticate"));
        if (!c)
            return r;
        std::lock_guard<std::mutex> lock(mu_);
        challenge_ = c;
    }
}

FetchedManifest RegistryClient::get_manifest(Http& http, const std::string& repo, const std::string& reference)
{
    std::string what = registry_ + "/" + repo + (reference.rfind("sha256:", 0) == 0 ? "@" : ":") + reference;
    for (int attempt = 0;; attempt++) {
        HttpRequest req;
        req.url = "/v2/" + repo + "/manifests/" + reference;
        req.headers.push_back(kManifestAccept);
        HttpResponse r;
        try {
            r = request(http, req, "repository:" + repo + ":pull");
        } catch (const TransportError& e) {
            if (attempt + 1 >= kMaxAttempts)
                fail("manifest {}: {}", what, e.what());
            backoff(attempt, nullptr);
            continue;
        }
        if (retryable(r.status) && attempt + 1 < kMaxAttempts) {
            backoff(attempt, &r);
            continue;
        }
        if (r.status == 401 || r.status == 403)
            fail("manifest {}: unauthorized: {}", what, error_text(r));
        if (r.status == 404)
            fail("manifest {}: not found: {}", what, error_text(r));
        if (r.status != 200)
            fail("manifest {}: registry answered {}", what, error_text(r));
        if (r.body.size() > kMaxManifest)
            fail("manifest {}: larger than {} bytes", what, kMaxManifest);
        FetchedManifest m;
        m.body = std::move(r.body);
        m.digest = img::sha256_digest(m.body);
        std::string claimed = reference.rfind("sha256:", 0) == 0 ? reference : r.header("docker-content-digest");
        if (!claimed.empty() && claimed != m.digest)
            fail("manifest {}: digest mismatch: expected {}, the content hashes to {}", what, claimed, m.digest);
        std::string type = r.header("content-type");
        m.media_type = img::document_media_type(m.body, type.substr(0, type.find(';')));
        return m;
    }
}

void RegistryClient::get_blob(Http& http, const std::string& repo, const img::Descriptor& d, img::BlobWriter& w,
                              const std::function<void(int64_t)>& on_data)
{
    if (w.done())
        return;
    std::string last_error;
    for (int attempt = 0; attempt < kMaxAttempts; attempt++) {
        HttpRequest req;
        req.url = "/v2/" + repo + "/blobs/" + d.digest;
        req.range_from = w.offset();
        bool first = true;
        req.sink = [&](long status, const char* data, size_t len) {
            // A server that ignores Range sends the whole blob again.
            if (first && status == 200 && w.offset() > 0)
                w.restart();
            first = false;
            w.write(data, len);
            if (on_data)
                on_data(w.offset());
        };
        HttpResponse r;
        try {
            r = request(http, req, "repository:" + repo + ":pull");
        } catch (const TransportError& e) {
            last_error = e.what();
            backoff(attempt, nullptr);
            continue;  // a dropped connection: resume from what arrived
        }
        if (r.status == 200 || r.status == 206) {
            if (w.offset() < d.size) {
                last_error = fmt::format("connection closed after {} of {} bytes", w.offset(), d.size);
                backoff(attempt, nullptr);
                continue;
            }
            w.finish();
            return;
        }
        if (r.status == 416) {  // our partial file is bad: start over
            w.restart();
            continue;
        }
        last_error = error_text(r);
        if (!retryable(r.status))
            break;
        backoff(attempt, &r);
    }
    fail("blob {} of {}/{}: {}", d.digest, registry_, repo, last_error);
}

} // namespace ctr::reg
