#include <doctest/doctest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>

#include "error.hpp"
#include "file.hpp"
#include "layout.hpp"
#include "manifest.hpp"

using namespace ctr;
using namespace ctr::img;

namespace {

struct TempLayout {
    std::string dir;
    TempLayout()
    {
        char tmpl[] = "/tmp/ctr-layout-test.XXXXXX";
        REQUIRE(mkdtemp(tmpl) != nullptr);
        dir = tmpl;
    }
    ~TempLayout() { remove_all(dir); }
};

} // namespace

TEST_CASE("a new layout is valid and refs are replaced by name")
{
    TempLayout t;
    OciLayout l(t.dir + "/oci", t.dir + "/lock");
    l.init();
    CHECK(read_file(t.dir + "/oci/oci-layout") == R"({"imageLayoutVersion":"1.0.0"})");
    std::string doc = R"({"schemaVersion":2})";
    std::string d = sha256_digest(doc);
    l.put_blob(d, doc);
    CHECK(l.has_blob(d));
    CHECK(l.read_blob(d) == doc);
    CHECK_THROWS_WITH_AS(l.put_blob(d, "other"), doctest::Contains("content hashes to"), Error);
    Descriptor desc{media::kOciManifest, d, static_cast<int64_t>(doc.size()), {}, {}, {}};
    l.set_ref("example.com/a:1", desc);
    l.set_ref("example.com/a:1", desc);
    l.set_ref("example.com/a:2", desc);
    CHECK(l.refs().size() == 2);
    CHECK(l.find_ref("example.com/a:1")->digest == d);
    CHECK(l.remove_ref("example.com/a:1"));
    CHECK_FALSE(l.remove_ref("example.com/a:1"));
    CHECK_FALSE(l.find_ref("example.com/a:1").has_value());
}

TEST_CASE("gc's guard: shared for writers, exclusive for gc")
{
    TempLayout t;
    OciLayout l(t.dir + "/oci", t.dir + "/lock");
    l.init();
    UniqueFd a = l.gc_guard(false);
    UniqueFd b = l.gc_guard(false);  // writers do not exclude each other
    CHECK(a);
    CHECK(b);
    UniqueFd probe = open_or_throw(t.dir + "/oci/.ctr-tmp/gc.lock", O_RDWR);
    CHECK(::flock(probe.get(), LOCK_EX | LOCK_NB) < 0);  // gc would wait
    a.reset();
    b.reset();
    CHECK(::flock(probe.get(), LOCK_EX | LOCK_NB) == 0);
}

TEST_CASE("BlobWriter verifies, resumes and leaves nothing corrupt")
{
    TempLayout t;
    OciLayout l(t.dir + "/oci", t.dir + "/lock");
    l.init();
    std::string data = "hello, blob";
    std::string d = sha256_digest(data);
    {
        BlobWriter w(l, d, static_cast<int64_t>(data.size()));
        w.write(data.data(), 5);  // interrupted here
    }
    {
        BlobWriter w(l, d, static_cast<int64_t>(data.size()));
        CHECK(w.offset() == 5);
        w.write(data.data() + 5, data.size() - 5);
        w.finish();
    }
    CHECK(read_file(l.blob_path(d)) == data);
    CHECK_FALSE(path_exists(l.partial_path(d)));
    CHECK(BlobWriter(l, d, 11).done());

    std::string other = "different";
    std::string wrong = sha256_digest("expected");
    BlobWriter bad(l, wrong, static_cast<int64_t>(other.size()));
    bad.write(other.data(), other.size());
    CHECK_THROWS_WITH_AS(bad.finish(), doctest::Contains("digest mismatch"), Error);
    CHECK_FALSE(l.has_blob(wrong));
    CHECK_FALSE(path_exists(l.partial_path(wrong)));
    BlobWriter big(l, wrong, 2);
    CHECK_THROWS_WITH_AS(big.write("abc", 3), doctest::Contains("more than the 2 bytes"), Error);
}

TEST_CASE("BlobWriter keeps a partial file that holds the whole blob, and restarts a wrong one")
{
    TempLayout t;
    OciLayout l(t.dir + "/oci", t.dir + "/lock");
    l.init();
    std::string data = "hello, blob";
    std::string d = sha256_digest(data);
    // Killed after the last write, before the rename.
    write_file_atomic(l.partial_path(d), data, 0644);
    {
        BlobWriter w(l, d, static_cast<int64_t>(data.size()));
        CHECK(w.done());
    }
    CHECK(read_file(l.blob_path(d)) == data);
    CHECK_FALSE(path_exists(l.partial_path(d)));

    std::string other = "hello, BLOB";
    std::string d2 = sha256_digest(other);
    write_file_atomic(l.partial_path(d2), data, 0644);  // the right size, the wrong content
    BlobWriter w(l, d2, static_cast<int64_t>(other.size()));
    CHECK_FALSE(w.done());
    CHECK(w.offset() == 0);
    w.write(other.data(), other.size());
    w.finish();
    CHECK(read_file(l.blob_path(d2)) == other);
}

TEST_CASE("platform selection from an index")
{
    std::string idx = R"({"schemaVersion":2,"manifests":[
      {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:)" + std::string(64, 'a') +
                      R"(","size":1,"platform":{"os":"linux","architecture":"amd64"}},
      {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:)" + std::string(64, 'b') +
                      R"(","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]})";
    Index i = parse_index(idx, media::kOciIndex);
    CHECK(select_platform(i, parse_platform("linux/arm64")).digest.back() == 'b');
    CHECK(select_platform(i, parse_platform("linux/amd64")).digest.back() == 'a');
    CHECK_THROWS_WITH_AS(select_platform(i, parse_platform("linux/s390x")),
                         doctest::Contains("linux/amd64, linux/arm64/v8"), Error);
    CHECK_THROWS_AS(parse_platform("linux"), Error);
}
