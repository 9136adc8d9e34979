// Typed, path-aware reading of JSON documents: every error names the field,
// e.g. "process.args: expected an array of strings".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ctr {

using Json = nlohmann::json;

// Parses text as JSON; errors name the document ("config.json: not valid JSON: ...").
Json parse_json(const std::string& text, const std::string& name);

class JsonView {
public:
    JsonView(const Json& j, std::string path) : j_(&j), path_(std::move(path)) {}

    const std::string& path() const { return path_; }
    const Json& raw() const { return *j_; }

    bool has(const std::string& key) const;
    // Child of an object; throws "PATH.key: required" when missing.
    JsonView at(const std::string& key) const;
    // Child if present and not null.
    std::optional<JsonView> get(const std::string& key) const;
    // Elements of an array (empty array when null).
    std::vector<JsonView> items() const;
    // Members of an object.
    std::vector<std::pair<std::string, JsonView>> members() const;

    void expect_object() const;
    std::string str() const;
    bool boolean() const;
    int64_t i64() const;
    uint64_t u64() const;
    uint32_t u32() const;
    int32_t i32() const;
    std::vector<std::string> strings() const;
    std::map<std::string, std::string> string_map() const;

    std::optional<std::string> opt_str(const std::string& key) const;
    std::optional<bool> opt_bool(const std::string& key) const;
    std::optional<int64_t> opt_i64(const std::string& key) const;
    std::optional<uint32_t> opt_u32(const std::string& key) const;
    std::vector<std::string> opt_strings(const std::string& key) const;

    [[noreturn]] void type_error(const char* expected) const;

private:
    std::string child_path(const std::string& key) const;
    const Json* j_;
    std::string path_;
};

} // namespace ctr
