#include "mountinfo.hpp"

#include <sstream>

#include "error.hpp"
#include "file.hpp"

namespace ctr::mnt {

namespace {

std::vector<std::string> fields(const std::string& s)
{
    std::vector<std::string> out;
    std::istringstream in(s);
    std::string f;
    while (in >> f)
        out.push_back(f);
    return out;
}

// mountinfo escapes space, tab, newline and backslash as "\NNN" (octal).
std::string unescape(const std::string& s)
{
    std::string out;
    for (size_t i = 0; i < s.size(); i++) {
        if (s[i] == '\\' && i + 3 < s.size()) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

bool is_below(const std::string& path, const std::string& mountpoint)
{
    if (mountpoint == "/")
        return true;
    return path.compare(0, mountpoint.size(), mountpoint) == 0 &&
           (path.size() == mountpoint.size() || path[mountpoint.size()] == '/');
}

} // namespace

bool MountEntry::shared() const
{
    for (const auto& t : tags)
        if (t.rfind("shared:", 0) == 0)
            return true;
    return false;
}

std::vector<MountEntry> parse_mountinfo(const std::string& text)
{
    std::vector<MountEntry> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        // id parent major:minor root mountpoint options [tags...] - fstype source superoptions
        auto dash = line.find(" - ");
        if (dash == std::string::npos)
            continue;
        auto left = fields(line.substr(0, dash));
        auto right = fields(line.substr(dash + 3));
        if (left.size() < 6 || right.size() < 2)
            continue;
        MountEntry e;
        e.root = unescape(left[3]);
        e.mountpoint = unescape(left[4]);
        e.tags.assign(left.begin() + 6, left.end());
        e.fstype = right[0];
        e.source = right[1];
        e.super_options = right.size() > 2 ? right[2] : "";
        out.push_back(std::move(e));
    }
    return out;
}

std::vector<MountEntry> read_mountinfo() { return parse_mountinfo(read_file("/proc/self/mountinfo")); }

MountEntry mount_containing(const std::vector<MountEntry>& mounts, const std::string& path)
{
    const MountEntry* best = nullptr;
    for (const auto& m : mounts)
        if (is_below(path, m.mountpoint) && (!best || m.mountpoint.size() >= best->mountpoint.size()))
            best = &m;
    if (!best)
        fail("no mount holds {}", path);
    return *best;
}

} // namespace ctr::mnt
