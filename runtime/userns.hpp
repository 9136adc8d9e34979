// User namespaces: linux.uidMappings/gidMappings checked with config.json,
// written to a new namespace by the parent (directly as root, through
// newuidmap/newgidmap otherwise), and throwaway namespaces whose fd gives
// an idmapped mount its mapping.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "fd.hpp"
#include "json_view.hpp"
#include "spec.hpp"

namespace ctr::rt {

// An array of {containerID, hostID, size}; sizes above 0, ranges not overlapping.
std::vector<IdMapping> parse_id_mappings(const JsonView& v);

// "containerID hostID size\n" lines, as uid_map takes them.
std::string format_id_map(const std::vector<IdMapping>& m);

// Writes /proc/PID/{uid,gid}_map of a process that has just made a user
// namespace and waits for it. Empty mappings are left unwritten.
void write_id_maps(pid_t pid, const std::vector<IdMapping>& uids, const std::vector<IdMapping>& gids);

// An fd of a new, empty user namespace with these mappings.
UniqueFd make_user_namespace(const std::vector<IdMapping>& uids, const std::vector<IdMapping>& gids);

// Inside a new or joined user namespace: become its root where 0 is
// mapped, so that files the container makes belong to it.
void become_namespace_root();

} // namespace ctr::rt
