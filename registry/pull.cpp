#include "pull.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <thread>

#include "digest.hpp"
#include "error.hpp"
#include "log.hpp"
#include "parallel.hpp"

namespace ctr::reg {

namespace {

// One line per blob (digest, bar, bytes, rate), redrawn in place on stderr
// while the blobs download.
class Progress {
public:
    Progress(bool enabled, const std::vector<img::Descriptor>& blobs) : enabled_(enabled), rows_(blobs.size())
    {
        for (size_t i = 0; i < blobs.size(); i++) {
            rows_[i].name = blobs[i].digest.substr(7, 12);
            rows_[i].size = blobs[i].size;
        }
        if (enabled_)
            thread_ = std::thread([this] { loop(); });
    }
    ~Progress()
    {
        if (!enabled_)
            return;
        {
            std::lock_guard<std::mutex> l(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        thread_.join();
        draw();
    }
    void started(size_t i, int64_t offset)
    {
        rows_[i].resumed_from = offset;
        rows_[i].done = offset;
        rows_[i].start = std::chrono::steady_clock::now();
        rows_[i].active = true;
    }
    void update(size_t i, int64_t offset) { rows_[i].done = offset; }
    void finished(size_t i)
    {
        rows_[i].done = rows_[i].size;
        rows_[i].seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - rows_[i].start).count();
        rows_[i].complete = true;
    }

private:
    struct Row {
        std::string name;
        int64_t size = 0;
        int64_t resumed_from = 0;
        std::atomic<int64_t> done{0};
        std::atomic<bool> active{false}, complete{false};
        std::chrono::steady_clock::time_point start;
        std::atomic<double> seconds{0};  // how long it took, once complete
        Row() = default;
        Row(const Row& o) : name(o.name), size(o.size) {}
    };

    void loop()
    {
        std::unique_lock<std::mutex> l(mu_);
        while (!cv_.wait_for(l, std::chrono::milliseconds(200), [this] { return stop_; }))
            draw();
    }

    std::string line(const Row& r) const
    {
        int64_t done = r.done;
        double frac = r.size > 0 ? static_cast<double>(done) / static_cast<double>(r.size) : 1.0;
        int filled = static_cast<int>(frac * 30);
        std::string bar = std::string(static_cast<size_t>(filled), '=') + std::string(static_cast<size_t>(30 - filled), ' ');
        std::string state = r.complete ? "done" : r.active ? "" : "waiting";
        double secs = r.complete ? r.seconds.load()
                                 : std::chrono::duration<double>(std::chrono::steady_clock::now() - r.start).count();
        double rate = r.active && secs > 0 ? static_cast<double>(done - r.resumed_from) / secs / 1e6 : 0.0;
        return fmt::format("\033[K{} [{}] {:7.1f}/{:.1f} MB {:6.1f} MB/s {}\n", r.name, bar,
                           static_cast<double>(done) / 1e6, static_cast<double>(r.size) / 1e6, rate, state);
    }

    void draw()
    {
        std::string out = drawn_ ? fmt::format("\033[{}A", rows_.size()) : "";
        for (const auto& r : rows_)
            out += line(r);
        drawn_ = true;
        ssize_t n = ::write(STDERR_FILENO, out.data(), out.size());
        (void)n;
    }

    bool enabled_;
    std::vector<Row> rows_;
    bool drawn_ = false;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

// Downloads every descriptor with `jobs` workers, each with its own connection.
void download_all(RegistryClient& client, const std::string& repo, const img::OciLayout& layout,
                  const std::vector<img::Descriptor>& blobs, const PullOptions& opts)
{
    Progress progress(opts.progress, blobs);
    // Connections are reused: a worker takes an idle one (or opens one) per blob.
    std::mutex mu;
    std::vector<std::unique_ptr<Http>> idle;
    parallel_for(blobs.size(), opts.jobs, [&](size_t i) {
        std::unique_ptr<Http> http;
        {
            std::lock_guard<std::mutex> l(mu);
            if (!idle.empty()) {
                http = std::move(idle.back());
                idle.pop_back();
            }
        }
        if (!http)
            http = client.connect();
        const img::Descriptor& d = blobs[i];
        img::BlobWriter w(layout, d.digest, d.size);
        progress.started(i, w.done() ? d.size : w.offset());
        client.get_blob(*http, repo, d, w, [&](int64_t offset) { progress.update(i, offset); });
        progress.finished(i);
        std::lock_guard<std::mutex> l(mu);
        idle.push_back(std::move(http));
    });
}

} // namespace

std::string pull_image(RegistryClient& client, const img::Reference& ref, const img::OciLayout& layout,
                       const std::string& ref_name, const PullOptions& opts)
{
    std::unique_ptr<Http> http = client.connect();
    FetchedManifest top = client.get_manifest(*http, ref.repository, ref.reference());
    FetchedManifest chosen = std::move(top);
    if (img::is_index(chosen.media_type)) {
        img::Index index = img::parse_index(chosen.body, chosen.media_type);
        const img::Descriptor& d = img::select_platform(index, opts.platform);
        log::debug(fmt::format("{}: platform manifest {}", ref.str(), d.digest));
        chosen = client.get_manifest(*http, ref.repository, d.digest);
    }
    img::Manifest m = img::parse_manifest(chosen.body, chosen.media_type);
    std::vector<img::Descriptor> blobs = {m.config};
    for (const auto& l : m.layers) {
        // Foreign layers stay where their URLs say; the image-spec lets us not copy them.
        if (img::is_non_distributable(l.media_type))
            continue;
        bool dup = false;
        for (const auto& b : blobs)
            dup = dup || b.digest == l.digest;
        if (!dup)
            blobs.push_back(l);
    }
    download_all(client, ref.repository, layout, blobs, opts);
    layout.put_blob(chosen.digest, chosen.body);
    img::Descriptor desc{chosen.media_type, chosen.digest, static_cast<int64_t>(chosen.body.size()), {}, {}, {}};
    if (chosen.media_type == img::media::kDockerManifest) {
        // OCI tools (skopeo, umoci) read only OCI manifests from a layout: name
        // an OCI conversion, as skopeo copy does; the registry's manifest stays
        // stored beside it.
        std::string oci = img::to_oci_manifest(m).dump();
        desc = {img::media::kOciManifest, img::sha256_digest(oci), static_cast<int64_t>(oci.size()), {}, {}, {}};
        layout.put_blob(desc.digest, oci);
    }
    layout.set_ref(ref_name, desc);
    return chosen.digest;
}

} // namespace ctr::reg
