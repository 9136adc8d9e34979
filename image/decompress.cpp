#include "decompress.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <vector>

#include "error.hpp"
#include "file.hpp"

namespace ctr::img {

namespace {

enum class Kind { Plain, Gzip, Zstd };

} // namespace

struct LayerReader::Impl {
    std::string path;
    UniqueFd fd;
    Kind kind = Kind::Plain;
    std::vector<char> in = std::vector<char>(1 << 17);
    size_t in_pos = 0, in_len = 0;
    bool in_eof = false;
    z_stream z = {};
    bool z_init = false;
    ZSTD_DCtx* zstd = nullptr;
    Sha256 hash;
    bool done = false;

    ~Impl()
    {
        if (z_init)
            inflateEnd(&z);
        ZSTD_freeDCtx(zstd);
    }

    void fill()
    {
        if (in_pos < in_len || in_eof)
            return;
        ssize_t n;
        do
            n = ::read(fd.get(), in.data(), in.size());
        while (n < 0 && errno == EINTR);
        if (n < 0)
            throw_errno("read " + path);
        in_pos = 0;
        in_len = static_cast<size_t>(n);
        in_eof = n == 0;
    }

    size_t plain(char* buf, size_t len)
    {
        fill();
        size_t n = std::min(len, in_len - in_pos);
        std::copy(in.data() + in_pos, in.data() + in_pos + n, buf);
        in_pos += n;
        return n;
    }

    size_t gzip(char* buf, size_t len)
    {
        z.next_out = reinterpret_cast<Bytef*>(buf);
        z.avail_out = static_cast<uInt>(len);
        while (z.avail_out == len && !done) {
            fill();
            if (in_eof && in_pos == in_len)
                fail("{}: gzip stream ends early", path);
            z.next_in = reinterpret_cast<Bytef*>(in.data() + in_pos);
            z.avail_in = static_cast<uInt>(in_len - in_pos);
            int rc = inflate(&z, Z_NO_FLUSH);
            in_pos = in_len - z.avail_in;
            if (rc == Z_STREAM_END) {
                // Concatenated gzip members are one stream, as gzip(1) reads them.
                fill();
                if (in_pos < in_len)
                    inflateReset(&z);
                else
                    done = true;
            } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
                fail("{}: not valid gzip data ({})", path, z.msg ? z.msg : "inflate error");
            }
        }
        return len - z.avail_out;
    }

    size_t zst(char* buf, size_t len)
    {
        ZSTD_outBuffer out = {buf, len, 0};
        while (out.pos == 0 && !done) {
            fill();
            if (in_eof && in_pos == in_len) {
                done = true;
                break;
            }
            ZSTD_inBuffer input = {in.data() + in_pos, in_len - in_pos, 0};
            size_t rc = ZSTD_decompressStream(zstd, &out, &input);
            in_pos += input.pos;
            if (ZSTD_isError(rc))
                fail("{}: not valid zstd data ({})", path, ZSTD_getErrorName(rc));
        }
        return out.pos;
    }
};

LayerReader::LayerReader(const std::string& path) : impl_(std::make_unique<Impl>())
{
    Impl& i = *impl_;
    i.path = path;
    i.fd = open_or_throw(path, O_RDONLY);
    i.fill();
    const unsigned char* b = reinterpret_cast<const unsigned char*>(i.in.data());
    if (i.in_len >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
        i.kind = Kind::Gzip;
        if (inflateInit2(&i.z, 15 + 16) != Z_OK)
            fail("{}: cannot initialise zlib", path);
        i.z_init = true;
    } else if (i.in_len >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd) {
        i.kind = Kind::Zstd;
        i.zstd = ZSTD_createDCtx();
        if (!i.zstd)
            fail("{}: cannot initialise zstd", path);
    }
}

LayerReader::~LayerReader() = default;

size_t LayerReader::read(char* buf, size_t len)
{
    Impl& i = *impl_;
    if (len == 0)
        return 0;
    size_t n = i.kind == Kind::Gzip ? i.gzip(buf, len) : i.kind == Kind::Zstd ? i.zst(buf, len) : i.plain(buf, len);
    i.hash.update(buf, n);
    return n;
}

std::string LayerReader::diff_id()
{
    char buf[1 << 16];
    while (read(buf, sizeof buf) > 0) {
    }
    return impl_->hash.digest();
}

const char* LayerReader::compression() const
{
    switch (impl_->kind) {
    case Kind::Gzip: return "gzip";
    case Kind::Zstd: return "zstd";
    case Kind::Plain: return "none";
    }
    return "none";
}

} // namespace ctr::img
