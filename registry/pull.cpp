#include "pull.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <thread>

#include "digest.hpp"
#include "error.hpp"
#include "log.hpp"

namespace ctr::reg {

namespace {

// An aggregate status line, redrawn on stderr while blobs download.
class Progress {
public:
    Progress(bool enabled, int64_t total, size_t blobs) : enabled_(enabled), total_(total), blobs_(blobs)
    {
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
        ssize_t n = ::write(STDERR_FILENO, "\n", 1);
        (void)n;
    }
    void add(int64_t bytes) { done_ += bytes; }
    void blob_done() { blobs_done_++; }

private:
    void loop()
    {
        std::unique_lock<std::mutex> l(mu_);
        while (!cv_.wait_for(l, std::chrono::milliseconds(200), [this] { return stop_; }))
            draw();
    }
    void draw()
    {
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        double mb = static_cast<double>(done_) / 1e6;
        std::string line = fmt::format("\r\033[Kblobs {}/{}  {:.1f}/{:.1f} MB  {:.1f} MB/s", blobs_done_.load(),
                                       blobs_, mb, static_cast<double>(total_) / 1e6, secs > 0 ? mb / secs : 0.0);
        ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
        (void)n;
    }

    bool enabled_;
    int64_t total_;
    size_t blobs_;
    std::atomic<int64_t> done_{0};
    std::atomic<size_t> blobs_done_{0};
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

// Downloads every descriptor with `jobs` workers, each with its own connection.
void download_all(RegistryClient& client, const std::string& repo, const img::OciLayout& layout,
                  const std::vector<img::Descriptor>& blobs, const PullOptions& opts)
{
    int64_t total = 0;
    for (const auto& b : blobs)
        total += b.size;
    Progress progress(opts.progress, total, blobs.size());
    std::atomic<size_t> next{0};
    std::mutex err_mu;
    std::exception_ptr error;
    auto worker = [&] {
        try {
            std::unique_ptr<Http> http = client.connect();
            for (size_t i = next++; i < blobs.size(); i = next++) {
                {
                    std::lock_guard<std::mutex> l(err_mu);
                    if (error)
                        return;
                }
                const img::Descriptor& d = blobs[i];
                img::BlobWriter w(layout, d.digest, d.size);
                int64_t before = w.done() ? d.size : w.offset();
                client.get_blob(*http, repo, d, w);
                progress.add(d.size - before);
                progress.blob_done();
            }
        } catch (...) {
            std::lock_guard<std::mutex> l(err_mu);
            if (!error)
                error = std::current_exception();
        }
    };
    size_t n = std::min<size_t>(static_cast<size_t>(std::max(opts.jobs, 1)), std::max<size_t>(blobs.size(), 1));
    std::vector<std::thread> threads;
    for (size_t i = 1; i < n; i++)
        threads.emplace_back(worker);
    worker();
    for (auto& t : threads)
        t.join();
    if (error)
        std::rethrow_exception(error);
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
