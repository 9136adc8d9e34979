#include "json_view.hpp"

#include <algorithm>
#include <limits>

#include "error.hpp"

namespace ctr {

namespace {

// Deeper documents are refused before parsing: copying or destroying a
// nlohmann value recurses once per level, and a hostile file could
// overflow the stack with a few hundred kilobytes of brackets.
constexpr int kMaxDepth = 128;

int nesting_depth(const std::string& text)
{
    int depth = 0, deepest = 0;
    bool in_string = false;
    for (size_t i = 0; i < text.size(); i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            deepest = std::max(deepest, ++depth);
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return deepest;
}

} // namespace

Json parse_json(const std::string& text, const std::string& name)
{
    if (nesting_depth(text) > kMaxDepth)
        fail("{}: not valid JSON: nested deeper than {} levels", name, kMaxDepth);
    try {
        return Json::parse(text);
    } catch (const Json::exception& e) {
        // parse_error, and out_of_range for numbers too large for a double.
        std::string msg = e.what();
        // nlohmann prefixes "[json.exception.parse_error.101] "; keep the useful part.
        if (auto p = msg.find("] "); p != std::string::npos)
            msg = msg.substr(p + 2);
        fail("{}: not valid JSON: {}", name, msg);
    }
}

std::string JsonView::child_path(const std::string& key) const
{
    return path_.empty() ? key : path_ + "." + key;
}

void JsonView::type_error(const char* expected) const
{
    fail("{}: expected {}", path_.empty() ? "document" : path_, expected);
}

void JsonView::expect_object() const
{
    if (!j_->is_object())
        type_error("an object");
}

bool JsonView::has(const std::string& key) const
{
    expect_object();
    auto it = j_->find(key);
    return it != j_->end() && !it->is_null();
}

JsonView JsonView::at(const std::string& key) const
{
    if (!has(key))
        fail("{}: required field is missing", child_path(key));
    return JsonView(j_->at(key), child_path(key));
}

std::optional<JsonView> JsonView::get(const std::string& key) const
{
    if (!has(key))
        return std::nullopt;
    return JsonView(j_->at(key), child_path(key));
}

std::vector<JsonView> JsonView::items() const
{
    std::vector<JsonView> out;
    if (j_->is_null())
        return out;
    if (!j_->is_array())
        type_error("an array");
    for (size_t i = 0; i < j_->size(); i++)
        out.emplace_back((*j_)[i], path_ + "[" + std::to_string(i) + "]");
    return out;
}

std::vector<std::pair<std::string, JsonView>> JsonView::members() const
{
    std::vector<std::pair<std::string, JsonView>> out;
    if (j_->is_null())
        return out;
    expect_object();
    for (auto it = j_->begin(); it != j_->end(); ++it)
        out.emplace_back(it.key(), JsonView(it.value(), child_path(it.key())));
    return out;
}

std::string JsonView::str() const
{
    if (!j_->is_string())
        type_error("a string");
    return j_->get<std::string>();
}

bool JsonView::boolean() const
{
    if (!j_->is_boolean())
        type_error("a boolean");
    return j_->get<bool>();
}

int64_t JsonView::i64() const
{
    if (j_->is_number_unsigned() && j_->get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
        type_error("a 64-bit signed integer");
    if (!j_->is_number_integer())
        type_error("an integer");
    return j_->get<int64_t>();
}

uint64_t JsonView::u64() const
{
    if (!j_->is_number_unsigned() && !(j_->is_number_integer() && j_->get<int64_t>() >= 0))
        type_error("a non-negative integer");
    return j_->get<uint64_t>();
}

uint32_t JsonView::u32() const
{
    uint64_t v = u64();
    if (v > std::numeric_limits<uint32_t>::max())
        type_error("a 32-bit unsigned integer");
    return static_cast<uint32_t>(v);
}

int32_t JsonView::i32() const
{
    int64_t v = i64();
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
        type_error("a 32-bit integer");
    return static_cast<int32_t>(v);
}

std::vector<std::string> JsonView::strings() const
{
    if (j_->is_null())
        return {};
    if (!j_->is_array())
        type_error("an array of strings");
    std::vector<std::string> out;
    for (const auto& e : *j_) {
        if (!e.is_string())
            type_error("an array of strings");
        out.push_back(e.get<std::string>());
    }
    return out;
}

std::map<std::string, std::string> JsonView::string_map() const
{
    std::map<std::string, std::string> out;
    if (j_->is_null())
        return out;
    if (!j_->is_object())
        type_error("an object of strings");
    for (auto it = j_->begin(); it != j_->end(); ++it) {
        if (!it->is_string())
            JsonView(it.value(), child_path(it.key())).type_error("a string");
        out[it.key()] = it->get<std::string>();
    }
    return out;
}

std::optional<std::string> JsonView::opt_str(const std::string& key) const
{
    if (auto v = get(key))
        return v->str();
    return std::nullopt;
}

std::optional<bool> JsonView::opt_bool(const std::string& key) const
{
    if (auto v = get(key))
        return v->boolean();
    return std::nullopt;
}

std::optional<int64_t> JsonView::opt_i64(const std::string& key) const
{
    if (auto v = get(key))
        return v->i64();
    return std::nullopt;
}

std::optional<uint32_t> JsonView::opt_u32(const std::string& key) const
{
    if (auto v = get(key))
        return v->u32();
    return std::nullopt;
}

std::vector<std::string> JsonView::opt_strings(const std::string& key) const
{
    if (auto v = get(key))
        return v->strings();
    return {};
}

} // namespace ctr
