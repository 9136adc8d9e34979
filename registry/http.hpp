// HTTP over libcurl: one easy handle per Http (reused connections), TLS
// settings per registry, streaming bodies into a callback.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ctr::reg {

struct TlsConfig {
    bool verify = true;
    std::string ca_pem;        // extra CAs (from a cert dir), added to the system's
    std::string client_cert;   // PEM file
    std::string client_key;    // PEM file
};

struct HttpRequest {
    std::string method = "GET";
    std::string url;
    std::vector<std::string> headers;
    std::string body;                // sent for PUT/POST/PATCH
    int upload_fd = -1;              // or: stream upload_size bytes of this fd,
    int64_t upload_offset = 0;       // from this offset
    int64_t upload_size = 0;
    int64_t range_from = -1;         // "Range: bytes=N-"
    bool follow_redirects = true;
    // Receives the body of a 2xx answer, with its status (200 or 206), when set;
    // otherwise (and for other answers) the body is kept in the response.
    std::function<void(long status, const char*, size_t)> sink;
    long timeout_s = 0;              // whole transfer; 0 = none
};

struct HttpResponse {
    long status = 0;
    std::map<std::string, std::string> headers;  // lower-case names, last value wins
    std::string body;                            // when the request had no sink
    std::string effective_url;

    std::string header(const std::string& name) const;
};

// Transport failures (no answer: connection refused, reset, TLS handshake).
class TransportError : public std::runtime_error {
public:
    TransportError(const std::string& what, bool tls) : std::runtime_error(what), tls_(tls) {}
    bool tls() const { return tls_; }

private:
    bool tls_;
};

class Http {
public:
    explicit Http(TlsConfig tls);
    ~Http();
    Http(const Http&) = delete;
    Http& operator=(const Http&) = delete;

    HttpResponse perform(const HttpRequest& req);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

std::string base64_encode(const std::string& in);
std::string base64_decode(const std::string& in);
std::string url_escape(const std::string& s);

} // namespace ctr::reg
