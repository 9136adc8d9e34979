#include "state.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "error.hpp"
#include "file.hpp"
#include "proc.hpp"
#include "spec_default.hpp"

namespace ctr::rt {

const char* status_name(Status s)
{
    switch (s) {
    case Status::Creating: return "creating";
    case Status::Created: return "created";
    case Status::Running: return "running";
    case Status::Paused: return "paused";
    case Status::Stopped: return "stopped";
    }
    return "unknown";
}

Json ContainerState::oci(Status status) const
{
    Json j = {
        {"ociVersion", kOciVersion},
        {"id", id},
        {"pid", status == Status::Stopped ? 0 : pid},
        {"status", status_name(status)},
        {"bundle", bundle},
        {"rootfs", rootfs},
        {"created", created},
        {"owner", owner},
    };
    if (!annotations.empty())
        j["annotations"] = annotations;
    return j;
}

void validate_id(const std::string& id)
{
    bool ok = !id.empty() && id != "." && id != ".." && id.size() <= 1024 &&
              std::all_of(id.begin(), id.end(), [](unsigned char c) {
                  return std::isalnum(c) || c == '_' || c == '+' || c == '-' || c == '.';
              });
    if (!ok)
        fail("invalid container id \"{}\": use letters, digits and _ + - .", id);
}

void StateStore::reserve(const std::string& id) const
{
    validate_id(id);
    mkdir_all(root_, 0711);
    if (::mkdir(dir(id).c_str(), 0711) < 0) {
        if (errno == EEXIST)
            fail("container \"{}\" already exists", id);
        throw_errno("create state directory " + dir(id));
    }
}

void StateStore::save(const ContainerState& st) const
{
    Json j = {
        {"id", st.id},
        {"pid", st.pid},
        {"start_time", st.start_time},
        {"bundle", st.bundle},
        {"rootfs", st.rootfs},
        {"created", st.created},
        {"owner", st.owner},
        {"annotations", st.annotations},
        {"hooks", st.hooks},
        {"cgroup", st.cgroup.to_json()},
        {"own_pid_ns", st.own_pid_ns},
    };
    if (st.monitor)
        j["monitor"] = {{"pid", st.monitor}, {"start_time", st.monitor_start}};
    write_file_atomic(dir(st.id) + "/state.json", j.dump(), 0600, false);
}

ContainerState StateStore::load(const std::string& id) const
{
    validate_id(id);
    std::string path = dir(id) + "/state.json";
    std::string text;
    try {
        text = read_file(path);
    } catch (const Error& e) {
        if (e.err() == ENOENT)
            fail("container \"{}\" does not exist", id);
        throw;
    }
    Json j = parse_json(text, path);
    ContainerState st;
    try {
        st.id = j.at("id").get<std::string>();
        st.pid = j.at("pid").get<pid_t>();
        st.start_time = j.at("start_time").get<uint64_t>();
        st.bundle = j.at("bundle").get<std::string>();
        st.rootfs = j.at("rootfs").get<std::string>();
        st.created = j.at("created").get<std::string>();
        st.owner = j.value("owner", "");
        st.annotations = j.value("annotations", std::map<std::string, std::string>{});
        st.hooks = j.value("hooks", Json::object());
        st.cgroup = Cgroup::from_json(j.value("cgroup", Json::object()));
        st.own_pid_ns = j.value("own_pid_ns", true);
        if (j.contains("monitor")) {
            st.monitor = j["monitor"].at("pid").get<pid_t>();
            st.monitor_start = j["monitor"].at("start_time").get<uint64_t>();
        }
    } catch (const Json::exception& e) {
        fail("{}: corrupt state file: {}", path, e.what());
    }
    return st;
}

std::vector<std::string> StateStore::ids() const
{
    std::vector<std::string> out;
    DIR* d = ::opendir(root_.c_str());
    if (!d) {
        if (errno == ENOENT)
            return out;
        throw_errno("open " + root_);
    }
    while (struct dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name == "." || name == "..")
            continue;
        if (path_exists(dir(name) + "/state.json"))
            out.push_back(name);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

void StateStore::remove(const std::string& id) const { remove_all(dir(id)); }

Status StateStore::status(const ContainerState& st) const
{
    if (!process_alive(st.pid, st.start_time))
        return Status::Stopped;
    if (path_exists(fifo(st.id)))
        return Status::Created;
    return st.cgroup.frozen() ? Status::Paused : Status::Running;
}

std::optional<int> StateStore::exit_status(const std::string& id) const
{
    std::string text;
    try {
        text = read_file(exit_file(id));
    } catch (const Error& e) {
        if (e.err() == ENOENT)
            return std::nullopt;
        throw;
    }
    try {
        return std::stoi(text);
    } catch (const std::exception&) {
        fail("{}: corrupt exit status \"{}\"", exit_file(id), text);
    }
}

Json StateStore::describe(const ContainerState& st) const
{
    Status s = status(st);
    Json j = st.oci(s);
    if (s == Status::Stopped)
        if (auto code = exit_status(st.id))
            j["exitStatus"] = *code;
    return j;
}

} // namespace ctr::rt
