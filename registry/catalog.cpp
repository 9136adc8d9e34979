#include "catalog.hpp"

#include "error.hpp"
#include "json_view.hpp"

namespace ctr::reg {

namespace {

// Link: </v2/_catalog?last=b&n=100>; rel="next"
std::string next_page(const HttpResponse& r)
{
    std::string link = r.header("link");
    auto open = link.find('<');
    auto close = link.find('>');
    if (open == std::string::npos || close == std::string::npos || link.find("rel=\"next\"") == std::string::npos)
        return "";
    return link.substr(open + 1, close - open - 1);
}

std::vector<std::string> paged(RegistryClient& client, std::string url, const std::string& scope,
                               const char* key, const std::string& what)
{
    std::unique_ptr<Http> http = client.connect();
    std::vector<std::string> out;
    for (int page = 0; !url.empty() && page < 10000; page++) {
        HttpRequest req;
        req.url = url;
        HttpResponse r = client.request(*http, req, scope);
        if (r.status == 401 || r.status == 403)
            fail("{}: unauthorized ({})", what, r.status);
        if (r.status == 404)
            fail("{}: not found (the registry may not offer this API)", what);
        if (r.status != 200)
            fail("{}: registry answered {}", what, r.status);
        Json j = parse_json(r.body, what);
        if (j.contains(key) && j[key].is_array())
            for (const auto& v : j[key])
                if (v.is_string())
                    out.push_back(v.get<std::string>());
        url = next_page(r);
    }
    return out;
}

} // namespace

std::vector<std::string> list_repositories(RegistryClient& client, const std::string& prefix)
{
    std::vector<std::string> all = paged(client, "/v2/_catalog?n=1000", "registry:catalog:*", "repositories",
                                         "catalog of " + client.registry());
    std::vector<std::string> out;
    for (auto& r : all)
        if (r.rfind(prefix, 0) == 0)
            out.push_back(std::move(r));
    return out;
}

std::vector<std::string> list_tags(RegistryClient& client, const std::string& repo)
{
    return paged(client, "/v2/" + repo + "/tags/list", "repository:" + repo + ":pull", "tags",
                 "tags of " + client.registry() + "/" + repo);
}

} // namespace ctr::reg
