#include "decompress.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <isa-l/igzip_lib.h>
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
    // ISA-L's igzip: several times zlib's inflate speed on x86.
    struct inflate_state gz = {};
    ZSTD_DCtx* zstd = nullptr;
    Sha256 hash;
    bool done = false;

    ~Impl() { ZSTD_freeDCtx(zstd); }

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
        gz.next_out = reinterpret_cast<uint8_t*>(buf);
        gz.avail_out = static_cast<uint32_t>(len);
        while (gz.avail_out == len && !done) {
            fill();
            if (gz.block_state == ISAL_BLOCK_FINISH) {
                // Concatenated gzip members are one stream, as gzip(1) reads them.
                if (in_pos == in_len && in_eof) {
                    done = true;
                    break;
                }
                isal_inflate_reset(&gz);
                gz.crc_flag = ISAL_GZIP;
            }
            if (in_eof && in_pos == in_len)
                fail("{}: gzip stream ends early", path);
            gz.next_in = reinterpret_cast<uint8_t*>(in.data() + in_pos);
            gz.avail_in = static_cast<uint32_t>(in_len - in_pos);
            int rc = isal_inflate(&gz);
            in_pos = in_len - gz.avail_in;
            if (rc != ISAL_DECOMP_OK)
                fail("{}: not valid gzip data (igzip error {})", path, rc);
            if (gz.block_state == ISAL_BLOCK_FINISH) {
                fill();
                if (in_pos == in_len && in_eof)
                    done = true;
            }
        }
        return len - gz.avail_out;
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
        isal_inflate_init(&i.gz);
        i.gz.crc_flag = ISAL_GZIP;
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
