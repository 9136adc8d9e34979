#include "registry_cli.hpp"

#include "error.hpp"
#include "reference.hpp"

namespace ctr::reg {

void add_registry_flags(CLI::App& app, RegistryFlags& f)
{
    app.add_option("--creds", f.creds, "registry credentials user:password");
    app.add_option("--authfile", f.authfile, "auth.json with credentials");
    app.add_option("--cert-dir", f.cert_dir, "directory with ca.crt (and client.cert/client.key)");
    app.add_flag("--tls-verify{true}", f.tls_verify,
                 "verify TLS certificates and never fall back to HTTP (--tls-verify=false: do not verify)");
    // One value per --insecure, so that the references after it stay references.
    app.add_option("--insecure", f.insecure, "allow plain HTTP for this registry (HOST[:PORT]); repeatable")
        ->allow_extra_args(false);
}

ReferenceValidator::ReferenceValidator() : CLI::Validator("REFERENCE")
{
    func_ = [](std::string& text) -> std::string {
        try {
            img::parse_reference(text);
        } catch (const Error& e) {
            return e.what();
        }
        return "";
    };
}

RegistryOptions registry_options(const RegistryFlags& f)
{
    RegistryOptions o;
    if (!f.creds.empty())
        o.auth.creds = parse_creds(f.creds);
    o.auth.authfile = f.authfile;
    o.cert_dir = f.cert_dir;
    if (f.tls_verify == "true" || f.tls_verify == "1")
        o.tls_verify = true;
    else if (f.tls_verify == "false" || f.tls_verify == "0")
        o.tls_verify = false;
    else if (!f.tls_verify.empty())
        fail("--tls-verify: expected true or false, got \"{}\"", f.tls_verify);
    o.insecure = f.insecure;
    return o;
}

OciLocation parse_oci_location(const std::string& text, const std::string& flag)
{
    if (text.rfind("oci:", 0) != 0)
        fail("{}: \"{}\" is not oci:DIR[:TAG]", flag, text);
    OciLocation l{text.substr(4), ""};
    auto colon = l.dir.rfind(':');
    if (colon != std::string::npos && l.dir.find('/', colon) == std::string::npos) {
        l.tag = l.dir.substr(colon + 1);
        l.dir = l.dir.substr(0, colon);
    }
    if (l.dir.empty())
        fail("{}: \"{}\" names no directory", flag, text);
    return l;
}

} // namespace ctr::reg
