#include "reference.hpp"

#include <regex>

#include "digest.hpp"
#include "error.hpp"

namespace ctr::img {

namespace {

const std::regex& component_re()
{
    static const std::regex re("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    return re;
}

const std::regex& tag_re()
{
    static const std::regex re("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    return re;
}

const std::regex& domain_re()
{
    static const std::regex re(
        "(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\\.(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?))*"
        "(?::[0-9]+)?|\\[[0-9a-fA-F:.]+\\](?::[0-9]+)?");
    return re;
}

bool looks_like_domain(const std::string& first)
{
    return first.find_first_of(".:") != std::string::npos || first == "localhost" ||
           first.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos;
}

} // namespace

std::string Reference::str() const
{
    std::string s = name();
    if (!tag.empty())
        s += ":" + tag;
    if (!digest.empty())
        s += "@" + digest;
    return s;
}

std::string Reference::with_digest(const std::string& d) const { return name() + "@" + d; }

Reference parse_reference(const std::string& text)
{
    auto bad = [&](const std::string& why) -> Reference { fail("invalid reference \"{}\": {}", text, why); };
    if (text.empty())
        return bad("empty");
    Reference r;
    std::string rest = text;
    if (auto at = rest.find('@'); at != std::string::npos) {
        r.digest = rest.substr(at + 1);
        rest = rest.substr(0, at);
        validate_digest(r.digest, "invalid reference \"" + text + "\"");
    }
    auto slash = rest.rfind('/');
    auto colon = rest.rfind(':');
    if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
        r.tag = rest.substr(colon + 1);
        rest = rest.substr(0, colon);
        if (!std::regex_match(r.tag, tag_re()))
            return bad("tag \"" + r.tag + "\" is not valid");
    }
    auto first_slash = rest.find('/');
    if (first_slash != std::string::npos && looks_like_domain(rest.substr(0, first_slash))) {
        r.registry = rest.substr(0, first_slash);
        r.repository = rest.substr(first_slash + 1);
        if (!std::regex_match(r.registry, domain_re()))
            return bad("registry \"" + r.registry + "\" is not a host[:port]");
    } else {
        r.registry = "docker.io";
        r.repository = rest;
    }
    if (r.registry == "index.docker.io")
        r.registry = "docker.io";
    if (r.registry == "docker.io" && r.repository.find('/') == std::string::npos)
        r.repository = "library/" + r.repository;
    if (r.repository.empty())
        return bad("no repository name");
    size_t start = 0;
    while (start <= r.repository.size()) {
        size_t end = r.repository.find('/', start);
        std::string comp = r.repository.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (!std::regex_match(comp, component_re()))
            return bad("repository name must be lowercase letters, digits and separators");
        if (end == std::string::npos)
            break;
        start = end + 1;
    }
    if (r.name().size() > 255)
        return bad("name longer than 255 characters");
    if (r.tag.empty() && r.digest.empty())
        r.tag = "latest";
    return r;
}

std::string registry_endpoint(const std::string& registry)
{
    return registry == "docker.io" ? "registry-1.docker.io" : registry;
}

} // namespace ctr::img
