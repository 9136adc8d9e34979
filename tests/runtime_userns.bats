#!/usr/bin/env bats
# User namespaces: linux.uidMappings/gidMappings with a "user" namespace,
# idmapped bind mounts (mounts[].uidMappings/gidMappings, the idmap and
# ridmap options), and a rootless container run by an unprivileged user.
#
# The container's root is host uid/gid 100000 (65536 ids from there). Its
# rootfs is a copy of the busybox rootfs shifted to those ids, and whatever
# it reaches by a host path (the bundle, bind sources) lives below $U, a
# directory every uid may search: bats' own temp directories are 0700, and
# host uid 100000 could not look up anything in them.
#
# runc 1.1 (Debian bookworm) has user namespaces and rootless containers,
# but no idmapped mounts: those tests skip for a runc older than 1.2.

load helpers

setup_file() { common_setup_file; }
setup() {
  common_setup
  U=$(mktemp -d /tmp/ctr-userns.XXXXXX)
  chmod 0711 "$U"
  B=$U/bundle
  OVERFLOW_UID=$(cat /proc/sys/kernel/overflowuid)
  OVERFLOW_GID=$(cat /proc/sys/kernel/overflowgid)
  RL_USER=
}
teardown() {
  common_teardown
  local mnt id
  if [ -n "$RL_USER" ] && [ -d "$U/rl/state" ]; then
    for id in $(as_user "$U/rl" "$RUNTIME" --root "$U/rl/state" list -q 2>/dev/null); do
      as_user "$U/rl" "$RUNTIME" --root "$U/rl/state" delete --force "$id" >/dev/null 2>&1 || true
    done
  fi
  if [ -n "$RL_USER" ] && id "$RL_USER" >/dev/null 2>&1; then
    userdel "$RL_USER" || echo "teardown: userdel $RL_USER failed" >&2
    ! getent group "$RL_USER" >/dev/null || groupdel "$RL_USER" || true
  fi
  [ -n "${U:-}" ] && [ -d "$U" ] || return 0
  for mnt in $(findmnt -rn -o TARGET | grep "^$U/" | sort -r); do
    umount -l "$mnt" 2>/dev/null || true
  done
  rm -rf --one-file-system "$U"
}

# The container's user namespace: root is host 100000, 65536 ids.
USERNS='(if any(.linux.namespaces[]; .type == "user") then . else .linux.namespaces += [{"type": "user"}] end)
  | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
  | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
MAP='[{"containerID": 0, "hostID": 100000, "size": 65536}]'

# userns_bundle ARGS...: bundle $B running ARGS in the user namespace above,
# with the busybox rootfs owned by the container's root (host 100000) and
# its user test (uid 1000) by host 101000.
userns_bundle() {
  mkdir -p "$B"
  cp -a "$ROOTFS_TEMPLATE" "$B/rootfs"
  chown -hR 100000:100000 "$B/rootfs"
  chown -h 101000:101000 "$B/rootfs/home/test"
  make_bundle "$B" "$@"
  cfg "$B" "$USERNS"
}

# add_mount JSON: append a mount to $B.
add_mount() { cfg "$B" '.mounts += [$m]' --argjson m "$1"; }

# bind_json DEST SOURCE OPTIONS-JSON [UIDMAP-JSON GIDMAP-JSON]: a bind mount entry.
bind_json() {
  jq -cn --arg d "$1" --arg s "$2" --argjson o "$3" --argjson u "${4:-null}" --argjson g "${5:-null}" \
    '{destination: $d, type: "bind", source: $s, options: $o}
     + (if $u == null then {} else {uidMappings: $u} end)
     + (if $g == null then {} else {gidMappings: $g} end)'
}

run_ct() {
  run --separate-stderr rt run --bundle "$B" "$ID" </dev/null
  [ "$status" -eq 0 ] || echo "run failed ($status): $stderr" >&2
}

# names_the_mount: ctr-run's error from `refused` says which mount it is,
# by its index in mounts[] or by its destination (/data).
names_the_mount() {
  is_ctr_run || return 0
  [[ $stderr == *"mounts["* || $stderr == *"/data"* ]] || { echo "the error does not name the mount"; return 1; }
}

# idmap_probe DIR: can this kernel make an idmapped mount of DIR's file
# system? (mount_setattr(MOUNT_ATTR_IDMAP) on a detached clone of DIR, with
# a user namespace that maps 0 to 100000; needs Linux 5.12 and a file system
# that supports it: ext4, xfs, btrfs, overlayfs since 5.19, tmpfs since 6.3.)
# Prints why not.
idmap_probe() {
  "$PYTHON" - "$1" <<'EOF'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
SYS_open_tree, SYS_mount_setattr = 428, 442
OPEN_TREE_CLONE, OPEN_TREE_CLOEXEC, AT_EMPTY_PATH, AT_FDCWD = 1, 0o2000000, 0x1000, -100
MOUNT_ATTR_IDMAP, CLONE_NEWUSER = 0x100000, 0x10000000

class MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]

ready_r, ready_w = os.pipe()
done_r, done_w = os.pipe()
pid = os.fork()
if pid == 0:
    ok = libc.unshare(CLONE_NEWUSER) == 0
    os.write(ready_w, b"1" if ok else b"0")
    os.read(done_r, 1)
    os._exit(0)
try:
    if os.read(ready_r, 1) != b"1":
        sys.exit("unshare(CLONE_NEWUSER) failed")
    for name in ("uid_map", "gid_map"):
        with open(f"/proc/{pid}/{name}", "w") as f:
            f.write("0 100000 65536\n")
    userns = os.open(f"/proc/{pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
    tree = libc.syscall(ctypes.c_long(SYS_open_tree), ctypes.c_int(AT_FDCWD), os.fsencode(sys.argv[1]),
                        ctypes.c_uint(OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC))
    if tree < 0:
        sys.exit("open_tree: " + os.strerror(ctypes.get_errno()))
    attr = MountAttr(MOUNT_ATTR_IDMAP, 0, 0, userns)
    if libc.syscall(ctypes.c_long(SYS_mount_setattr), ctypes.c_int(tree), b"", ctypes.c_uint(AT_EMPTY_PATH),
                    ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr))) < 0:
        sys.exit("mount_setattr(MOUNT_ATTR_IDMAP): " + os.strerror(ctypes.get_errno()))
finally:
    os.write(done_w, b"x")
    os.waitpid(pid, 0)
EOF
}

# require_idmap DIR: skip unless DIR's file system can be idmapped here.
require_idmap() {
  local why
  why=$(idmap_probe "$1" 2>&1) ||
    skip "no idmapped mounts of $(findmnt -n -o FSTYPE --target "$1") on Linux $(uname -r): $why"
}

# idmap_source: $U/src with a file of host root's (root-file, 0:0) and one
# of host 1000:1000 (user-file).
idmap_source() {
  mkdir -p "$U/src"
  echo on-disk >"$U/src/root-file"
  echo on-disk >"$U/src/user-file"
  chown 1000:1000 "$U/src/user-file"
  require_idmap "$U/src"
}

@test "user namespace: root inside is host 100000; ids are mapped both ways" {
  userns_bundle sh -c 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map
    stat -c %u:%g /bin/busybox /home/test /data /hostroot
    touch /data/made-inside && stat -c %u:%g /data/made-inside'
  # /data belongs to the container's root; /hostroot to host root, whose id
  # the user namespace does not map.
  mkdir -p "$U/data" "$U/hostroot"
  chown 100000:100000 "$U/data"
  add_mount "$(bind_json /data "$U/data" '["bind"]')"
  add_mount "$(bind_json /hostroot "$U/hostroot" '["bind", "ro"]')"
  run_ct
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [ "${lines[1]}" = 0 ]
  [ "$(echo "${lines[2]}" | xargs)" = "0 100000 65536" ]
  [ "$(echo "${lines[3]}" | xargs)" = "0 100000 65536" ]
  [ "${lines[4]}" = 0:0 ]
  [ "${lines[5]}" = 1000:1000 ]
  [ "${lines[6]}" = 0:0 ]
  [ "${lines[7]}" = "$OVERFLOW_UID:$OVERFLOW_GID" ]
  [ "${lines[8]}" = 0:0 ]
  # What the container's root made is host 100000's.
  [ "$(stat -c %u:%g "$U/data/made-inside")" = 100000:100000 ]
}

@test "user namespace: the process is host uid 100000; exec joins the same user namespace" {
  userns_bundle sleep 600
  ct_start_running "$ID"
  local pid
  pid=$(ct_pid "$ID")
  [ "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")" = "100000 100000 100000 100000" ]
  [ "$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")" = "100000 100000 100000 100000" ]
  [ "$(readlink "/proc/$pid/ns/user")" != "$(readlink /proc/self/ns/user)" ]
  run --separate-stderr rt exec "$ID" sh -c 'id -u; readlink /proc/self/ns/user; cat /proc/self/uid_map' </dev/null
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [ "${lines[1]}" = "$(readlink "/proc/$pid/ns/user")" ]
  [ "$(echo "${lines[2]}" | xargs)" = "0 100000 65536" ]
}

@test "user namespace joined by path (as in a pod): a new pid namespace owned by it, proc mounted" {
  userns_bundle sleep 600
  ct_start_running "$ID"
  local pid
  pid=$(ct_pid "$ID")
  # A second container on the same rootfs joins the first one's user and
  # network namespaces; its pid namespace is new, so it must belong to the
  # joined user namespace for init to mount proc there. The mappings stay in
  # config.json, as podman writes them: they describe the joined namespace.
  mkdir -p "$U/second"
  jq --arg root "$B/rootfs" --arg user "/proc/$pid/ns/user" --arg net "/proc/$pid/ns/net" \
    '.root.path = $root
     | .linux.namespaces |= (map(select(.type != "user" and .type != "network"))
         + [{"type": "user", "path": $user}, {"type": "network", "path": $net}])
     | .process.args = ["sh", "-c", "id -u; cat /proc/self/uid_map; echo $$; readlink /proc/self/ns/user"]' \
    "$B/config.json" >"$U/second/config.json"
  run --separate-stderr rt run --bundle "$U/second" "$ID-2" </dev/null
  echo "$output / $stderr"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [ "$(echo "${lines[1]}" | xargs)" = "0 100000 65536" ]
  [ "${lines[2]}" = 1 ]
  [ "${lines[3]}" = "$(readlink "/proc/$pid/ns/user")" ]
}

@test "uid/gid mappings without a user namespace are refused" {
  skip_if_runc_before 1.2 "runc 1.1 drops the mappings when there is no user namespace"
  userns_bundle true
  cfg "$B" '.linux.namespaces |= map(select(.type != "user"))'
  refused linux.uidMappings "user namespace"
  cfg "$B" 'del(.linux.uidMappings)'
  refused linux.gidMappings "user namespace"
}

@test "uid/gid mappings: size 0 and overlapping ranges are refused" {
  userns_bundle true
  cfg "$B" "$USERNS"' | .linux.uidMappings[0].size = 0'
  refused linux.uidMappings
  cfg "$B" "$USERNS"' | .linux.gidMappings[0].size = 0'
  refused linux.gidMappings
  # Container ids 500..999 are in both ranges.
  cfg "$B" "$USERNS"' | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000},
                                              {"containerID": 500, "hostID": 200000, "size": 1000}]'
  refused linux.uidMappings
  # Host ids 100500..100999 are in both ranges.
  cfg "$B" "$USERNS"' | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000},
                                              {"containerID": 1000, "hostID": 100500, "size": 1000}]'
  refused linux.gidMappings
}

# A mount's uidMappings/gidMappings convert ids "from the source file system
# to the destination mount point" (runtime-spec config.md, POSIX-platform
# mounts), as a user namespace's mappings do: containerID is an id on the
# source file system, hostID the id the mount shows it as. So with
# {containerID 0, hostID 100000}, a file of host root's shows through the
# mount as host 100000, which the container's user namespace (0 -> 100000)
# shows as its root: 0:0 inside. Writes go back the same way: a file the
# container's root makes there is 0:0 on the host. The same directory bound
# without mappings shows host root's files as the overflow id. This is what
# runc 1.2 and crun do (mount_setattr(MOUNT_ATTR_IDMAP) with a user namespace
# that has the mount's mappings).
@test "idmapped bind mount: host root's files are the container root's, and so are its writes" {
  skip_if_runc_before 1.2 "idmapped mounts are new in runc 1.2"
  idmap_source
  userns_bundle sh -c 'stat -c %u:%g /data/root-file /data/user-file /plain/root-file
    cat /data/root-file; echo from-container >/data/new && stat -c %u:%g /data/new'
  add_mount "$(bind_json /data "$U/src" '["bind"]' "$MAP" "$MAP")"
  add_mount "$(bind_json /plain "$U/src" '["bind"]')"
  run_ct
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0:0 ]
  [ "${lines[1]}" = 1000:1000 ]
  [ "${lines[2]}" = "$OVERFLOW_UID:$OVERFLOW_GID" ]
  [ "${lines[3]}" = on-disk ]
  [ "${lines[4]}" = 0:0 ]
  [ "$(stat -c %u:%g "$U/src/new")" = 0:0 ]
  [ "$(cat "$U/src/new")" = from-container ]
  # The source itself is not changed: no chown behind the container's back.
  [ "$(stat -c %u:%g "$U/src/root-file")" = 0:0 ]
  [ "$(stat -c %u:%g "$U/src/user-file")" = 1000:1000 ]
}

@test "idmapped bind mount without a user namespace shows the mapped ids" {
  skip_if_runc_before 1.2 "idmapped mounts are new in runc 1.2"
  idmap_source
  make_bundle "$B" stat -c %u:%g /data/root-file /data/user-file /plain/root-file
  # The container runs in the host's user namespace: the mount shows what
  # the mappings make of the ids on disk.
  add_mount "$(bind_json /data "$U/src" '["bind", "idmap"]' "$MAP" "$MAP")"
  add_mount "$(bind_json /plain "$U/src" '["bind"]')"
  run_ct
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 100000:100000 ]
  [ "${lines[1]}" = 101000:101000 ]
  [ "${lines[2]}" = 0:0 ]
}

# "idmap" and "ridmap" without uidMappings/gidMappings: the runtime-spec lets
# a runtime use the container's user namespace mappings (MAY), or else
# refuse; runc 1.2 uses them, and so must a runc-compatible runtime. idmap
# maps only the mount itself, ridmap every mount below it too (an rbind
# brings those along): a file of host root's on the submount under the idmap
# mount is not mapped, so the container sees the overflow id.
@test "idmap and ridmap options without mappings take the container's; only ridmap maps submounts" {
  skip_if_runc_before 1.2 "idmapped mounts are new in runc 1.2"
  idmap_source
  mkdir -p "$U/src/sub" "$U/subsrc"
  echo in-submount >"$U/subsrc/sub-file"
  mount --bind "$U/subsrc" "$U/src/sub"
  userns_bundle sh -c 'stat -c %u:%g /data/root-file /data/sub/sub-file /rdata/root-file /rdata/sub/sub-file
    echo x >/rdata/sub/from-container && echo written'
  add_mount "$(bind_json /data "$U/src" '["rbind", "idmap"]')"
  add_mount "$(bind_json /rdata "$U/src" '["rbind", "ridmap"]')"
  run_ct
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0:0 ]
  [ "${lines[1]}" = "$OVERFLOW_UID:$OVERFLOW_GID" ]
  [ "${lines[2]}" = 0:0 ]
  [ "${lines[3]}" = 0:0 ]
  [ "${lines[4]}" = written ]
  [ "$(stat -c %u:%g "$U/subsrc/from-container")" = 0:0 ]
}

@test "idmapped mounts that cannot be honoured are refused" {
  skip_if_runc_before 1.2 "idmapped mounts are new in runc 1.2 (1.1 ignores them)"
  mkdir -p "$U/src"
  userns_bundle true
  local base
  base=$(jq -c .mounts "$B/config.json")
  # "idmap" with no mappings of its own and no user namespace to take them
  # from: the runtime-spec says an error MUST be returned.
  cfg "$B" '.linux.namespaces |= map(select(.type != "user")) | del(.linux.uidMappings, .linux.gidMappings)'
  add_mount "$(bind_json /data "$U/src" '["bind", "idmap"]')"
  refused idmap
  names_the_mount
  # uidMappings MUST come with gidMappings, and the other way round.
  cfg "$B" "$USERNS"' | .mounts = $m' --argjson m "$base"
  add_mount "$(bind_json /data "$U/src" '["bind", "idmap"]' "$MAP")"
  refused gidMappings
  names_the_mount
  cfg "$B" '.mounts = $m' --argjson m "$base"
  add_mount "$(bind_json /data "$U/src" '["bind", "idmap"]' null "$MAP")"
  refused uidMappings
  names_the_mount
  # Only bind mounts can be idmapped (runc refuses the others too).
  cfg "$B" '.mounts = $m' --argjson m "$base"
  add_mount "$(jq -cn --argjson u "$MAP" '{destination: "/data", type: "tmpfs", source: "tmpfs",
                                           options: ["idmap"], uidMappings: $u, gidMappings: $u}')"
  refused
  names_the_mount
}

# --- rootless -----------------------------------------------------------------

# as_user DIR CMD...: CMD as $RL_USER (no capabilities, a clean environment)
# in DIR; fd 3 closed as in rt.
as_user() {
  local dir=$1
  shift
  (cd "$dir" && timeout -k 5 "$RT_TIMEOUT" setpriv --reuid="$RL_USER" --regid="$RL_USER" --init-groups \
    env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME="$dir" "$@" 3>&-)
}

# rootless_user: a new unprivileged user $RL_USER (removed in teardown), with
# $U/rl as its home; skip where unprivileged user namespaces are disabled.
rootless_user() {
  command -v setpriv >/dev/null || skip "no setpriv (util-linux) on the host"
  [ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" != 0 ] ||
    skip "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)"
  [ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 1)" != 0 ] ||
    skip "user namespaces are disabled (user.max_user_namespaces = 0)"
  [ "$(cat /proc/sys/kernel/apparmor_restrict_unprivileged_userns 2>/dev/null || echo 0)" != 1 ] ||
    skip "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1)"
  RL_USER=ctrrl$BASHPID
  useradd --no-create-home --user-group --shell /bin/sh --home-dir "$U/rl" "$RL_USER"
  mkdir -p "$U/rl"
  chown "$RL_USER:$RL_USER" "$U/rl"
  local why
  why=$(as_user "$U/rl" unshare --user --map-root-user true 2>&1) ||
    skip "$RL_USER cannot make a user namespace: $why"
}

@test "rootless: an unprivileged user runs a container from spec --rootless; it is root inside" {
  rootless_user
  local bundle=$U/rl/bundle uid gid
  uid=$(id -u "$RL_USER")
  gid=$(id -g "$RL_USER")
  mkdir -p "$bundle"
  cp -a "$ROOTFS_TEMPLATE" "$bundle/rootfs"
  chown -hR "$RL_USER:$RL_USER" "$bundle"
  run --separate-stderr as_user "$bundle" "$RUNTIME" spec --rootless
  [ "$status" -eq 0 ]
  [ "$(stat -c %U "$bundle/config.json")" = "$RL_USER" ]
  jq -e --argjson u "$uid" '.linux.uidMappings == [{"containerID": 0, "hostID": $u, "size": 1}]' "$bundle/config.json" >/dev/null
  cfg "$bundle" '.process.terminal = false
    | .process.args = ["sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; echo hello-rootless >/dev/shm/f; cat /dev/shm/f"]'
  chown "$RL_USER:$RL_USER" "$bundle/config.json"
  # No linux.resources: a rootless runtime cannot make cgroups here, and
  # (as runc) goes on without them when none are asked for.
  run --separate-stderr as_user "$bundle" "$RUNTIME" --root "$U/rl/state" run "rl-$ID" </dev/null
  echo "status=$status stderr=$stderr"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [ "${lines[1]}" = 0 ]
  [ "$(echo "${lines[2]}" | xargs)" = "0 $uid 1" ]
  [ "$(echo "${lines[3]}" | xargs)" = "0 $gid 1" ]
  [ "${lines[4]}" = hello-rootless ]
  # run deleted it.
  run as_user "$bundle" "$RUNTIME" --root "$U/rl/state" list -q
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}
