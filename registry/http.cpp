#include "http.hpp"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>

#include "error.hpp"

namespace ctr::reg {

namespace {

void global_init()
{
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

struct Transfer {
    const HttpRequest* req;
    HttpResponse* resp;
    std::exception_ptr error;  // thrown by the sink, rethrown after curl returns
    int64_t sent = 0;          // of the upload
};

size_t on_read(char* buf, size_t size, size_t n, void* p)
{
    auto* t = static_cast<Transfer*>(p);
    int64_t left = t->req->upload_size - t->sent;
    size_t want = static_cast<size_t>(std::min<int64_t>(left, static_cast<int64_t>(size * n)));
    if (want == 0)
        return 0;
    ssize_t got;
    do
        got = ::pread(t->req->upload_fd, buf, want, t->req->upload_offset + t->sent);
    while (got < 0 && errno == EINTR);
    if (got <= 0)
        return CURL_READFUNC_ABORT;
    t->sent += got;
    return static_cast<size_t>(got);
}

size_t on_header(char* data, size_t size, size_t n, void* p)
{
    auto* t = static_cast<Transfer*>(p);
    std::string line(data, size * n);
    if (line.rfind("HTTP/", 0) == 0) {
        // A new response (after a redirect or 100-continue): "HTTP/1.1 206 Partial Content".
        t->resp->headers.clear();
        auto sp = line.find(' ');
        t->resp->status = sp == std::string::npos ? 0 : std::atol(line.c_str() + sp + 1);
        return size * n;
    }
    auto colon = line.find(':');
    if (colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        while (!value.empty() && (value.back() == '\r' || value.back() == '\n'))
            value.pop_back();
        t->resp->headers[lower(line.substr(0, colon))] = value;
    }
    return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* p)
{
    auto* t = static_cast<Transfer*>(p);
    size_t len = size * n;
    try {
        if (t->req->sink && t->resp->status >= 200 && t->resp->status < 300)
            t->req->sink(t->resp->status, data, len);
        else
            t->resp->body.append(data, len);
    } catch (...) {
        t->error = std::current_exception();
        return 0;  // aborts the transfer
    }
    return len;
}

} // namespace

std::string HttpResponse::header(const std::string& name) const
{
    auto it = headers.find(lower(name));
    return it == headers.end() ? "" : it->second;
}

struct Http::Impl {
    CURL* curl = nullptr;
    TlsConfig tls;
};

Http::Http(TlsConfig tls) : impl_(std::make_unique<Impl>())
{
    global_init();
    impl_->curl = curl_easy_init();
    if (!impl_->curl)
        fail("curl_easy_init failed");
    impl_->tls = std::move(tls);
}

Http::~Http() { curl_easy_cleanup(impl_->curl); }

HttpResponse Http::perform(const HttpRequest& req)
{
    CURL* c = impl_->curl;
    curl_easy_reset(c);
    HttpResponse resp;
    Transfer t{&req, &resp, nullptr, 0};
    curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(c, CURLOPT_USERAGENT, "ctr/" CTR_VERSION);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    // Larger reads: fewer callbacks and write(2)s per blob.
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 128L * 1024);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, req.follow_redirects ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    // A stalled transfer (under 1 KiB/s for 60 s) is a dropped connection.
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    if (req.timeout_s > 0)
        curl_easy_setopt(c, CURLOPT_TIMEOUT, req.timeout_s);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, impl_->tls.verify ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, impl_->tls.verify ? 2L : 0L);
    if (!impl_->tls.ca_pem.empty()) {
        struct curl_blob blob = {impl_->tls.ca_pem.data(), impl_->tls.ca_pem.size(), CURL_BLOB_NOCOPY};
        curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (!impl_->tls.client_cert.empty()) {
        curl_easy_setopt(c, CURLOPT_SSLCERT, impl_->tls.client_cert.c_str());
        curl_easy_setopt(c, CURLOPT_SSLKEY, impl_->tls.client_key.c_str());
    }
    struct curl_slist* headers = nullptr;
    for (const auto& h : req.headers)
        headers = curl_slist_append(headers, h.c_str());
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> header_guard(headers, curl_slist_free_all);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    std::string range;
    if (req.range_from > 0) {
        range = std::to_string(req.range_from) + "-";
        curl_easy_setopt(c, CURLOPT_RANGE, range.c_str());
    }
    if (req.method == "HEAD") {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (req.upload_fd >= 0) {
        // Streamed from the file: memory stays flat however large the blob.
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(req.upload_size));
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &t);
    } else if (req.method != "GET") {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.data());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    }
    CURLcode rc = curl_easy_perform(c);
    if (t.error)
        std::rethrow_exception(t.error);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
    char* eff = nullptr;
    curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff);
    if (eff)
        resp.effective_url = eff;
    if (rc != CURLE_OK) {
        bool tls = rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
                   rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM;
        throw TransportError(fmt::format("{} {}: {}", req.method, req.url, curl_easy_strerror(rc)), tls);
    }
    return resp;
}

std::string base64_encode(const std::string& in)
{
    static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
        out += {tbl[v >> 18], tbl[(v >> 12) & 63], tbl[(v >> 6) & 63], tbl[v & 63]};
    }
    if (i + 1 == in.size()) {
        unsigned v = (unsigned char)in[i] << 16;
        out += {tbl[v >> 18], tbl[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == in.size()) {
        unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
        out += {tbl[v >> 18], tbl[(v >> 12) & 63], tbl[(v >> 6) & 63], '='};
    }
    return out;
}

std::string base64_decode(const std::string& in)
{
    std::string out;
    unsigned v = 0;
    int bits = 0;
    for (char ch : in) {
        int d;
        if (ch >= 'A' && ch <= 'Z') d = ch - 'A';
        else if (ch >= 'a' && ch <= 'z') d = ch - 'a' + 26;
        else if (ch >= '0' && ch <= '9') d = ch - '0' + 52;
        else if (ch == '+' || ch == '-') d = 62;
        else if (ch == '/' || ch == '_') d = 63;
        else if (ch == '=' || ch == '\n' || ch == '\r') continue;
        else fail("invalid base64 data");
        v = (v << 6) | static_cast<unsigned>(d);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((v >> bits) & 0xff);
        }
    }
    return out;
}

std::string url_escape(const std::string& s)
{
    std::string out;
    static const char* hex = "0123456789ABCDEF";
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' || c == ':')
            out += static_cast<char>(c);
        else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

} // namespace ctr::reg
