#include "push.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "error.hpp"
#include "file.hpp"
#include "log.hpp"
#include "manifest.hpp"

namespace ctr::reg {

namespace {

constexpr int kAttempts = 5;

struct Pusher {
    RegistryClient& client;
    Http& http;
    const img::OciLayout& layout;
    std::string repo;
    const PushOptions& opts;

    std::string scope() const { return "repository:" + repo + ":pull,push"; }

    // One request, retried with growing delays on 408/429/5xx and dropped
    // connections (uploads re-read their bytes with pread, so a retry resends them).
    HttpResponse call(HttpRequest req, const std::string& extra_scope = "")
    {
        for (int attempt = 0;; attempt++) {
            bool last = attempt + 1 >= kAttempts;
            try {
                HttpResponse r = client.request(http, req, extra_scope.empty() ? scope() : extra_scope);
                if (last || !(r.status == 408 || r.status == 429 || r.status >= 500))
                    return r;
            } catch (const TransportError& e) {
                if (last)
                    fail("push {}/{}: {}", client.registry(), repo, e.what());
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200 << attempt));
        }
    }

    [[noreturn]] void refused(const std::string& what, const HttpResponse& r)
    {
        fail("push {}/{}: {}: registry answered {}", client.registry(), repo, what, error_text(r));
    }

    bool exists(const std::string& digest)
    {
        HttpRequest req;
        req.method = "HEAD";
        req.url = "/v2/" + repo + "/blobs/" + digest;
        return call(req).status == 200;
    }

    // POST an upload session, as a cross-repository mount when a source is known.
    // Returns "" when the blob was mounted, else the upload location.
    std::string start(const std::string& digest, const std::string& from)
    {
        HttpRequest req;
        req.method = "POST";
        req.url = "/v2/" + repo + "/blobs/uploads/";
        std::string sc = scope();
        if (!from.empty()) {
            req.url += "?mount=" + digest + "&from=" + url_escape(from);
            sc += " repository:" + from + ":pull";
        }
        HttpResponse r = call(req, sc);
        if (r.status == 201 && !from.empty())
            return "";
        if (r.status != 202)
            refused("start upload of " + digest, r);
        std::string loc = r.header("location");
        if (loc.empty())
            fail("push {}: the registry gave no upload location", repo);
        return loc;
    }

    static std::string with_query(const std::string& url, const std::string& q)
    {
        return url + (url.find('?') == std::string::npos ? "?" : "&") + q;
    }

    void upload(const std::string& digest, int64_t size, std::string location)
    {
        UniqueFd fd = open_or_throw(layout.blob_path(digest), O_RDONLY);
        int64_t chunk = opts.chunk_size > 0 ? opts.chunk_size : size;
        int64_t offset = 0;
        // Chunked: PATCH each piece; the last PUT carries the digest (and, when
        // monolithic, the whole blob).
        while (opts.chunk_size > 0 && offset < size) {
            int64_t n = std::min(chunk, size - offset);
            HttpRequest req;
            req.method = "PATCH";
            req.url = location;
            req.upload_fd = fd.get();
            req.upload_offset = offset;
            req.upload_size = n;
            req.headers = {"Content-Type: application/octet-stream",
                           fmt::format("Content-Range: {}-{}", offset, offset + n - 1)};
            HttpResponse r = call(req);
            if (r.status != 202)
                refused("upload chunk of " + digest, r);
            location = r.header("location").empty() ? location : r.header("location");
            offset += n;
        }
        HttpRequest put;
        put.method = "PUT";
        put.url = with_query(location, "digest=" + digest);
        put.headers = {"Content-Type: application/octet-stream"};
        if (opts.chunk_size <= 0) {
            put.upload_fd = fd.get();
            put.upload_size = size;
        }
        HttpResponse r = call(put);
        if (r.status != 201)
            refused("upload " + digest, r);
    }

    void blob(const img::Descriptor& d)
    {
        if (img::is_non_distributable(d.media_type) || exists(d.digest))
            return;
        if (!layout.has_blob(d.digest))
            fail("push {}: blob {} is not in {}", repo, d.digest, layout.dir());
        auto from = opts.mount_from.find(d.digest);
        std::string source = from != opts.mount_from.end() && from->second != repo ? from->second : "";
        std::string loc = start(d.digest, source);
        if (loc.empty()) {
            log::debug(fmt::format("mounted {} from {}", d.digest, source));
            return;
        }
        upload(d.digest, d.size, loc);
    }

    void manifest(const std::string& reference, const std::string& media_type, const std::string& body)
    {
        HttpRequest req;
        req.method = "PUT";
        req.url = "/v2/" + repo + "/manifests/" + reference;
        req.body = body;
        req.headers = {"Content-Type: " + media_type};
        HttpResponse r = call(req);
        if (r.status != 201 && r.status != 200)
            refused("manifest " + reference, r);
    }

    void image(const img::Descriptor& d, const std::string& reference)
    {
        std::string body = layout.read_blob(d.digest);
        std::string type = img::document_media_type(body, d.media_type);
        if (img::is_index(type)) {
            for (const auto& m : img::parse_index(body, type).manifests)
                image(m, m.digest);
        } else {
            img::Manifest m = img::parse_manifest(body, type);
            blob(m.config);
            for (const auto& l : m.layers)
                blob(l);
        }
        manifest(reference, type, body);
    }
};

} // namespace

std::string push_image(RegistryClient& client, const img::OciLayout& layout, const img::Descriptor& desc,
                       const img::Reference& dest, const PushOptions& opts)
{
    std::unique_ptr<Http> http = client.connect();
    Pusher p{client, *http, layout, dest.repository, opts};
    p.image(desc, dest.reference());
    return desc.digest;
}

} // namespace ctr::reg
