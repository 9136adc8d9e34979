#include "digest.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>

#include "error.hpp"
#include "file.hpp"

namespace ctr::img {

struct Sha256::Ctx {
    EVP_MD_CTX* md = nullptr;
    ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>())
{
    ctx_->md = EVP_MD_CTX_new();
    if (!ctx_->md || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1)
        fail("sha256: cannot initialise OpenSSL digest");
}

Sha256::~Sha256() = default;

void Sha256::update(const void* data, size_t len)
{
    if (EVP_DigestUpdate(ctx_->md, data, len) != 1)
        fail("sha256: digest update failed");
}

std::string Sha256::digest()
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_->md, out, &len) != 1)
        fail("sha256: digest final failed");
    static const char* hex = "0123456789abcdef";
    std::string s = "sha256:";
    for (unsigned i = 0; i < len; i++) {
        s += hex[out[i] >> 4];
        s += hex[out[i] & 15];
    }
    return s;
}

void validate_digest(const std::string& digest, const std::string& what)
{
    bool ok = digest.size() == 71 && digest.rfind("sha256:", 0) == 0 &&
              std::all_of(digest.begin() + 7, digest.end(),
                          [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
    if (!ok)
        fail("{}: \"{}\" is not a sha256 digest", what, digest);
}

std::string digest_hex(const std::string& digest) { return digest.substr(digest.find(':') + 1); }

std::string sha256_digest(std::string_view data)
{
    Sha256 h;
    h.update(data);
    return h.digest();
}

std::string sha256_file(const std::string& path)
{
    UniqueFd fd = open_or_throw(path, O_RDONLY);
    Sha256 h;
    read_chunks(fd.get(), path, [&](const char* data, size_t len) { h.update(data, len); });
    return h.digest();
}

} // namespace ctr::img
