// The registry flags shared by ctr-pull, ctr-push and ctr-image:
// --creds, --authfile, --cert-dir, --tls-verify, --insecure.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "client.hpp"

namespace ctr::reg {

struct RegistryFlags {
    std::string creds;
    std::string authfile;
    std::string cert_dir;
    std::string tls_verify;  // "", "true" or "false"
    std::vector<std::string> insecure;
};

void add_registry_flags(CLI::App& app, RegistryFlags& f);

// A malformed image reference is a usage error (exit 2), reported in one line.
struct ReferenceValidator : public CLI::Validator {
    ReferenceValidator();
};
RegistryOptions registry_options(const RegistryFlags& f);

// "oci:DIR[:TAG]", as skopeo names an OCI layout (flag names the option in errors).
struct OciLocation {
    std::string dir;
    std::string tag;
};
OciLocation parse_oci_location(const std::string& text, const std::string& flag);

} // namespace ctr::reg
