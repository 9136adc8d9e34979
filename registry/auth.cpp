#include "auth.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "error.hpp"
#include "file.hpp"
#include "http.hpp"
#include "json_view.hpp"
#include "proc.hpp"

namespace ctr::reg {

namespace {

// Keys of an "auths" map that name this registry: "host", "https://host",
// "http://host/v2/", and Docker Hub's historical "https://index.docker.io/v1/".
bool key_matches(std::string key, const std::string& registry)
{
    for (const char* scheme : {"https://", "http://"})
        if (key.rfind(scheme, 0) == 0)
            key = key.substr(std::string(scheme).size());
    if (auto slash = key.find('/'); slash != std::string::npos)
        key = key.substr(0, slash);
    if (key == "index.docker.io" || key == "registry-1.docker.io")
        key = "docker.io";
    return key == registry;
}

// docker-credential-NAME get, with the server on stdin: {"Username","Secret"}.
// SIGPIPE held back for a scope; one raised meanwhile is taken off the
// pending set, so the failed write is just an EPIPE error.
class SigpipeBlocked {
public:
    SigpipeBlocked()
    {
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        ::pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    }
    ~SigpipeBlocked()
    {
        struct timespec zero = {0, 0};
        while (::sigtimedwait(&pipe_, nullptr, &zero) > 0) {
        }
        ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    SigpipeBlocked(const SigpipeBlocked&) = delete;
    SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

private:
    sigset_t pipe_, old_;
};

std::optional<Credentials> from_helper(const std::string& helper, const std::string& registry)
{
    std::string prog = "docker-credential-" + helper;
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) < 0 || ::pipe2(out, O_CLOEXEC) < 0)
        throw_errno("pipe");
    UniqueFd in_r(in[0]), in_w(in[1]), out_r(out[0]), out_w(out[1]);
    pid_t pid = ::fork();
    if (pid < 0)
        throw_errno("fork " + prog);
    if (pid == 0) {
        ::dup2(in_r.get(), 0);
        ::dup2(out_w.get(), 1);
        ::execlp(prog.c_str(), prog.c_str(), "get", nullptr);
        _exit(127);
    }
    in_r.reset();
    out_w.reset();
    std::string server = registry == "docker.io" ? "https://index.docker.io/v1/" : registry;
    try {
        // A helper that exits without reading (not installed: exec failed)
        // must not take us down with SIGPIPE: the write fails with EPIPE.
        SigpipeBlocked blocked;
        write_all(in_w.get(), server, prog);
    } catch (const Error&) {
    }
    in_w.reset();
    std::string text = read_fd(out_r.get(), prog);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
            fail("credential helper {} is not installed", prog);
        return std::nullopt;  // helpers exit non-zero for "no credentials"
    }
    Json j = parse_json(text, prog + " output");
    return Credentials{j.value("Username", ""), j.value("Secret", "")};
}

std::string env(const char* name)
{
    const char* v = std::getenv(name);
    return v ? v : "";
}

} // namespace

Credentials parse_creds(const std::string& text)
{
    auto colon = text.find(':');
    if (colon == std::string::npos || colon == 0)
        fail("--creds: expected user:password");
    return {text.substr(0, colon), text.substr(colon + 1)};
}

std::optional<Credentials> credentials_from_file(const std::string& path, const std::string& registry)
{
    auto text = try_read_file(path);
    if (!text)
        return std::nullopt;
    Json j = parse_json(*text, path);
    if (!j.is_object())
        fail("{}: expected a JSON object", path);
    if (j.contains("credHelpers") && j["credHelpers"].is_object())
        for (auto it = j["credHelpers"].begin(); it != j["credHelpers"].end(); ++it)
            if (key_matches(it.key(), registry) && it->is_string())
                return from_helper(it->get<std::string>(), registry);
    if (j.contains("auths") && j["auths"].is_object()) {
        for (auto it = j["auths"].begin(); it != j["auths"].end(); ++it) {
            if (!key_matches(it.key(), registry) || !it->is_object())
                continue;
            std::string auth = it->value("auth", "");
            if (auth.empty())
                continue;
            std::string decoded = base64_decode(auth);
            auto colon = decoded.find(':');
            if (colon == std::string::npos)
                fail("{}: auths.{}.auth is not base64 of user:password", path, it.key());
            return Credentials{decoded.substr(0, colon), decoded.substr(colon + 1)};
        }
    }
    if (j.contains("credsStore") && j["credsStore"].is_string())
        return from_helper(j["credsStore"].get<std::string>(), registry);
    return std::nullopt;
}

std::optional<Credentials> find_credentials(const std::string& registry, const AuthOptions& opts)
{
    if (opts.creds)
        return opts.creds;
    if (!opts.authfile.empty()) {
        if (!path_exists(opts.authfile))
            fail("--authfile {}: no such file", opts.authfile);
        return credentials_from_file(opts.authfile, registry);
    }
    std::vector<std::string> files;
    if (!env("REGISTRY_AUTH_FILE").empty())
        files.push_back(env("REGISTRY_AUTH_FILE"));
    if (!env("XDG_RUNTIME_DIR").empty())
        files.push_back(env("XDG_RUNTIME_DIR") + "/containers/auth.json");
    else
        files.push_back("/run/containers/" + std::to_string(::getuid()) + "/auth.json");
    if (!env("DOCKER_CONFIG").empty())
        files.push_back(env("DOCKER_CONFIG") + "/config.json");
    else if (!env("HOME").empty())
        files.push_back(env("HOME") + "/.docker/config.json");
    for (const auto& f : files)
        if (auto c = credentials_from_file(f, registry))
            return c;
    return std::nullopt;
}

std::optional<Challenge> parse_challenge(const std::string& header)
{
    size_t sp = header.find(' ');
    if (header.empty())
        return std::nullopt;
    Challenge c;
    c.scheme = header.substr(0, sp);
    for (auto& ch : c.scheme)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    size_t i = sp == std::string::npos ? header.size() : sp + 1;
    while (i < header.size()) {
        while (i < header.size() && (header[i] == ' ' || header[i] == ','))
            i++;
        size_t eq = header.find('=', i);
        if (eq == std::string::npos)
            break;
        std::string key = header.substr(i, eq - i);
        std::string value;
        i = eq + 1;
        if (i < header.size() && header[i] == '"') {
            for (i++; i < header.size() && header[i] != '"'; i++) {
                if (header[i] == '\\' && i + 1 < header.size())
                    i++;
                value += header[i];
            }
            i++;
        } else {
            size_t end = header.find(',', i);
            value = header.substr(i, end == std::string::npos ? std::string::npos : end - i);
            i = end == std::string::npos ? header.size() : end;
        }
        c.params[key] = value;
    }
    return c;
}

} // namespace ctr::reg
