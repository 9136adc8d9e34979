#!/usr/bin/env bats
# ctr-layer bundle's docker-run options (--env-file, -v, --volumes-from,
# --tmpfs, --cap-add/--cap-drop, --privileged, -m/--cpus/--pids-limit), each
# checked by running the bundle with ctr-run and looking at what the container
# sees, as `docker run` would give it.

load helpers
load registry
load layer

# Capability numbers (linux/capability.h order) and docker's default set.
CAP_NAMES=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE
  NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT
  SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE
  AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ
  PERFMON BPF CHECKPOINT_RESTORE)
DOCKER_CAPS=(CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP SETPCAP
  NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE)

# The container's cgroup limits on one line each, on cgroup v2 (the
# container's own cgroup is the root of its cgroup namespace) as on v1 and
# hybrid hosts (one hierarchy per controller): "memory N", "cpu QUOTA PERIOD",
# "pids N".
LIMITS_SCRIPT='
if [ -f /sys/fs/cgroup/memory.max ]; then
  echo "memory $(cat /sys/fs/cgroup/memory.max)"
  echo "cpu $(cat /sys/fs/cgroup/cpu.max)"
  echo "pids $(cat /sys/fs/cgroup/pids.max)"
else
  echo "memory $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"
  echo "cpu $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"
  echo "pids $(cat /sys/fs/cgroup/pids/pids.max)"
fi'

# make_data_image DIR: adds to layout DIR (which has "latest") the tags
# "data", latest plus /data (owner 1000:1000, mode 0750) holding seed (mode
# 0640, "seed"), and "withvol", the same image with Volumes {"/data": {}}.
make_data_image() {
  local dir=$1 work
  layout_has_tag "$dir" withvol && return 0
  work=$(mktemp -d "$BATS_FILE_TMPDIR/umoci.XXXXXX")
  {
    _umoci config --image "$dir:latest" --tag data &&
      _umoci unpack --image "$dir:data" "$work/bundle" >/dev/null &&
      mkdir "$work/bundle/rootfs/data" &&
      echo seed >"$work/bundle/rootfs/data/seed" &&
      chown -R 1000:1000 "$work/bundle/rootfs/data" &&
      chmod 0640 "$work/bundle/rootfs/data/seed" &&
      chmod 0750 "$work/bundle/rootfs/data" &&
      _umoci repack --history.created_by "add /data" --image "$dir:data" "$work/bundle" &&
      _umoci config --image "$dir:data" --tag withvol --config.volume /data &&
      _umoci gc --layout "$dir"
  } || { echo "make_data_image: umoci failed for $dir" >&2; rm -rf "$work"; return 1; }
  rm -rf "$work"
}

setup_file() {
  registry_require || return 0
  layer_setup_file
  make_data_image "$IMG"
  layer_push data withvol
}
teardown_file() { registry_stop; }

setup() {
  layer_setup
  B1=$BATS_TEST_TMPDIR/b1 B2=$BATS_TEST_TMPDIR/b2 B3=$BATS_TEST_TMPDIR/b3
  pull latest
}

teardown() {
  local b leftover=''
  for b in $(bundles_last_first); do
    [ -f "$b/image.json" ] || continue
    timeout 10 "$CTR_LAYER" --root "$STORE" rm "$b" >/dev/null 2>&1 || leftover+="rm $b failed; "
    [ ! -e "$b" ] || leftover+="$b still exists; "
  done
  # rm also drops the store's reference (ROOT/bundles) to each bundle.
  [ -z "$(ls -A "$STORE/bundles" 2>/dev/null)" ] || leftover+="store references left: $(ls "$STORE/bundles"); "
  # ctr-layer rm must leave nothing mounted under this test's directory.
  grep -qF " $BATS_TEST_TMPDIR/" /proc/self/mountinfo && leftover+="mounts left: $(grep -F " $BATS_TEST_TMPDIR/" /proc/self/mountinfo)"
  registry_teardown
  common_teardown
  [ -z "$leftover" ] || { echo "teardown: $leftover"; return 1; }
}

# pull TAG: busybox:TAG from the file's registry into this test's store.
pull() { layer_pull "$PLAIN/busybox:$1"; }

# mkbundle ARGS...: `ctr-layer bundle ARGS`, which must succeed.
mkbundle() {
  run_tool ctr-layer layer bundle "$@"
  [ "$status" -eq 0 ]
}

# ctr_run DIR [ID]: runs the bundle with the runtime; the container's stdout
# in $output, its stderr and the runtime's in $stderr.
run_bundle() { rt run -b "$1" "$2" </dev/null; }
ctr_run() { run_tool ctr-run run_bundle "$1" "${2:-$ID}"; }

# bad_bundle WANT ARGS...: `ctr-layer bundle ARGS DIR=$B1` fails with exit 1
# and one error line containing WANT, leaving no $B1 and no mount.
bad_bundle() {
  local want=$1
  shift
  run_tool ctr-layer layer bundle "$@" "$PLAIN/busybox" "$B1"
  one_error_line_of ctr-layer
  [[ "$ERR_LINE" == *"$want"* ]] || { echo "the error line lacks: $want"; return 1; }
  [ ! -e "$B1" ] || { echo "$B1 was left behind"; return 1; }
  ! grep -qF "$B1" /proc/self/mountinfo || { echo "a mount of $B1 was left"; return 1; }
}

# cap_mask NAME...: the hex mask /proc/PID/status shows for these capabilities.
cap_mask() {
  local mask=0 n i
  for n in "$@"; do
    for i in "${!CAP_NAMES[@]}"; do
      [ "${CAP_NAMES[$i]}" != "$n" ] || mask=$((mask | 1 << i))
    done
  done
  printf '%016x\n' "$mask"
}

# mount_of DIR DEST: the config.json mounts on DEST, one JSON object a line.
mount_of() { jq -c --arg d "$2" '.mounts[] | select(.destination == $d)' "$1/config.json"; }

# volume_source DIR DEST: the host directory of the volume on DEST.
volume_source() { jq -er --arg d "$2" '.volumes[] | select(.destination == $d) | .source' "$1/image.json"; }

# --- --env-file -------------------------------------------------------------

@test "--env-file: comments and blank lines skipped, bare KEY from the environment, -e overrides the file" {
  cat >"$BATS_TEST_TMPDIR/env" <<'EOF'
# a comment
FROMFILE=one

   # an indented comment
  INDENTED=two
BARE
UNSETBARE
OVERRIDE=file
WITH_EQ=a=b=c
SPACES=  kept as is  
EOF
  printf 'SECOND=2\nFROMFILE=second-file\n' >"$BATS_TEST_TMPDIR/env2"
  # Files in order, then -e: the last word wins, as with docker run.
  export BARE=from-env
  mkbundle --env-file "$BATS_TEST_TMPDIR/env" --env-file "$BATS_TEST_TMPDIR/env2" \
    -e OVERRIDE=cli "$PLAIN/busybox" "$B1" -- \
    sh -c 'echo "$FROMFILE|$INDENTED|$BARE|${UNSETBARE-unset}|$OVERRIDE|$WITH_EQ|$SPACES|$SECOND"; env | grep -c "^OVERRIDE="'
  jq -r '.process.env[]' "$B1/config.json" >"$BATS_TEST_TMPDIR/envs"
  ! grep -q '^#\|^ \|^$\|^UNSETBARE' "$BATS_TEST_TMPDIR/envs" || false
  ctr_run "$B1"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "second-file|two|from-env|unset|cli|a=b=c|  kept as is  |2" ]
  # -e replaced the file's OVERRIDE: one entry, not two.
  [ "${lines[1]}" = 1 ]
}

@test "--env-file: a line with no variable name or a name with whitespace is an error, as with docker" {
  printf 'GOOD=1\n=novalue\n' >"$BATS_TEST_TMPDIR/env"
  bad_bundle "=novalue" --env-file "$BATS_TEST_TMPDIR/env"
  printf 'GOOD=1\nBAD NAME=1\n' >"$BATS_TEST_TMPDIR/env"
  bad_bundle "BAD NAME" --env-file "$BATS_TEST_TMPDIR/env"
}

@test "--env-file of a missing file: one error line naming it, no bundle" {
  bad_bundle "$BATS_TEST_TMPDIR/nothere" --env-file "$BATS_TEST_TMPDIR/nothere"
}

# --- -v host directories --------------------------------------------------

@test "-v /host:/ctr: the container reads the host's files and its writes land on the host" {
  mkdir "$BATS_TEST_TMPDIR/host"
  echo "from the host" >"$BATS_TEST_TMPDIR/host/in"
  mkbundle -v "$BATS_TEST_TMPDIR/host:/mnt/host" "$PLAIN/busybox" "$B1" -- \
    sh -c 'cat /mnt/host/in; echo "from the container" > /mnt/host/out'
  ctr_run "$B1"
  [ "$status" -eq 0 ]
  [ "$output" = "from the host" ]
  [ "$(cat "$BATS_TEST_TMPDIR/host/out")" = "from the container" ]
  # The write went to the host directory, not to the container's layer.
  [ ! -e "$B1/upper/mnt/host/out" ]
}

@test "-v /host:/ctr:ro: the container reads but cannot write" {
  mkdir "$BATS_TEST_TMPDIR/host"
  echo "from the host" >"$BATS_TEST_TMPDIR/host/in"
  mkbundle -v "$BATS_TEST_TMPDIR/host:/mnt/host:ro" "$PLAIN/busybox" "$B1" -- \
    sh -c 'cat /mnt/host/in; echo x > /mnt/host/out || echo write failed'
  jq -e '.options | index("ro")' <<<"$(mount_of "$B1" /mnt/host)" >/dev/null
  ctr_run "$B1"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "from the host" ]
  [ "${lines[1]}" = "write failed" ]
  [[ "$stderr" == *"Read-only file system"* ]]
  [ ! -e "$BATS_TEST_TMPDIR/host/out" ]
}

@test "-v with a missing host directory creates it, as docker run -v does" {
  mkbundle -v "$BATS_TEST_TMPDIR/new/sub:/mnt/new" "$PLAIN/busybox" "$B1" -- sh -c 'echo hi > /mnt/new/f'
  [ -d "$BATS_TEST_TMPDIR/new/sub" ]
  ctr_run "$B1"
  [ "$status" -eq 0 ]
  [ "$(cat "$BATS_TEST_TMPDIR/new/sub/f")" = hi ]
}

# --- named volumes ----------------------------------------------------------

@test "-v NAME:/path: a new named volume lives in STORE/volumes/NAME/_data, filled from the image with owner and mode" {
  pull data
  mkbundle -v vol1:/data "$PLAIN/busybox:data" "$B1" -- \
    sh -c 'stat -c "%u:%g %a" /data /data/seed; cat /data/seed'
  local src=$STORE/volumes/vol1/_data
  [ "$(jq -r .source <<<"$(mount_of "$B1" /data)")" = "$src" ]
  # The copy-up keeps what the image has: content, owner and mode.
  [ "$(cat "$src/seed")" = seed ]
  [ "$(stat -c '%u:%g %a' "$src")" = "1000:1000 750" ]
  [ "$(stat -c '%u:%g %a' "$src/seed")" = "1000:1000 640" ]
  ctr_run "$B1"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '1000:1000 750\n1000:1000 640\nseed')" ]
  # No leftover of the copy beside the volume.
  [ "$(ls -A "$STORE/volumes/vol1")" = _data ]
}

@test "-v NAME:/path: a second bundle sees what the first wrote, also after ctr-layer rm of the first" {
  pull data
  mkbundle -v vol1:/data "$PLAIN/busybox:data" "$B1" -- sh -c 'echo changed > /data/seed; echo one > /data/new'
  ctr_run "$B1"
  [ "$status" -eq 0 ]
  mkbundle -v vol1:/data "$PLAIN/busybox:data" "$B2" -- sh -c 'cat /data/seed /data/new'
  ctr_run "$B2" "$ID-2"
  [ "$status" -eq 0 ]
  # An existing volume is not filled again from the image.
  [ "$output" = "$(printf 'changed\none')" ]
  run_tool ctr-layer layer rm "$B1"
  [ "$status" -eq 0 ]
  [ ! -e "$B1" ]
  # The named volume outlives the bundle, as with docker rm without -v.
  [ "$(cat "$STORE/volumes/vol1/_data/new")" = one ]
  ctr_run "$B2" "$ID-3"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'changed\none')" ]
}

@test "-v NAME:/path:nocopy: the new volume stays empty" {
  pull data
  mkbundle -v vol1:/data:nocopy "$PLAIN/busybox:data" "$B1" -- sh -c 'ls -A /data; echo end'
  [ -d "$STORE/volumes/vol1/_data" ]
  [ -z "$(ls -A "$STORE/volumes/vol1/_data")" ]
  ctr_run "$B1"
  [ "$status" -eq 0 ]
  [ "$output" = end ]
}

@test "a relative --root still gives named volumes an absolute source" {
  # The store is $BATS_TEST_TMPDIR/store either way.
  cd "$BATS_TEST_TMPDIR"
  run_tool ctr-layer timeout 60 "$CTR_LAYER" --root store bundle -v vol1:/v "$PLAIN/busybox" b1 -- sh -c 'echo hi > /v/f'
  [ "$status" -eq 0 ]
  [ "$(jq -r .source <<<"$(mount_of "$B1" /v)")" = "$STORE/volumes/vol1/_data" ]
  ctr_run "$B1"
  [ "$status" -eq 0 ]
  [ "$(cat "$STORE/volumes/vol1/_data/f")" = hi ]
}

# --- anonymous volumes ------------------------------------------------------

@test "-v /path: an anonymous volume lives in DIR/volumes and goes with ctr-layer rm" {
  mkbundle -v /anon "$PLAIN/busybox" "$B1" -- sh -c 'echo hi > /anon/f'
  local src
  src=$(volume_source "$B1" /anon)
  [[ "$src" == "$B1/volumes/"* ]]
  [ "$(jq -r .source <<<"$(mount_of "$B1" /anon)")" = "$src" ]
  ctr_run "$B1"
  [ "$status" -eq 0 ]
  [ "$(cat "$src/f")" = hi ]
  [ ! -e "$B1/upper/anon/f" ]
  run_tool ctr-layer layer rm "$B1"
  [ "$status" -eq 0 ]
  [ ! -e "$src" ]
  [ ! -e "$B1" ]
}

@test "an image's Volumes become anonymous volumes filled from the image, removed with the bundle" {
  pull withvol
  mkbundle "$PLAIN/busybox:withvol" "$B1" -- \
    sh -c 'cat /data/seed; stat -c "%u:%g %a" /data; echo new > /data/new'
  local src
  src=$(volume_source "$B1" /data)
  [[ "$src" == "$B1/volumes/"* ]]
  [ "$(mount_of "$B1" /data | wc -l)" -eq 1 ]
  ctr_run "$B1"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'seed\n1000:1000 750')" ]
  # The write is in the volume, not in the container's changes.
  [ "$(cat "$src/new")" = new ]
  [ ! -e "$B1/upper/data" ]
  run_tool ctr-layer layer rm "$B1"
  [ "$status" -eq 0 ]
  [ ! -e "$src" ]
}

@test "a -v or --tmpfs on an image volume's path replaces that volume" {
  pull withvol
  mkbundle -v vol1:/data "$PLAIN/busybox:withvol" "$B1" -- true
  [ "$(mount_of "$B1" /data | wc -l)" -eq 1 ]
  [ "$(jq -r .source <<<"$(mount_of "$B1" /data)")" = "$STORE/volumes/vol1/_data" ]
  [ ! -e "$B1/volumes" ] || [ -z "$(ls -A "$B1/volumes")" ]
  mkbundle --tmpfs /data "$PLAIN/busybox:withvol" "$B2" -- true
  [ "$(mount_of "$B2" /data | wc -l)" -eq 1 ]
  [ "$(jq -r .type <<<"$(mount_of "$B2" /data)")" = tmpfs ]
}

# --- --volumes-from ---------------------------------------------------------

@test "--volumes-from: another bundle's volumes are shared, writes seen both ways" {
  mkdir "$BATS_TEST_TMPDIR/host"
  mkbundle -v /anon -v vol1:/named -v "$BATS_TEST_TMPDIR/host:/host" "$PLAIN/busybox" "$B1" -- \
    sh -c 'echo one > /anon/a; echo one > /named/a; echo one > /host/a'
  ctr_run "$B1"
  [ "$status" -eq 0 ]
  mkbundle --volumes-from "$B1" "$PLAIN/busybox" "$B2" -- \
    sh -c 'cat /anon/a /named/a /host/a; echo two > /anon/b; echo two > /named/b; echo two > /host/b'
  local d
  for d in /anon /named /host; do
    [ "$(jq -r .source <<<"$(mount_of "$B2" $d)")" = "$(volume_source "$B1" $d)" ]
  done
  ctr_run "$B2" "$ID-2"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'one\none\none')" ]
  # The first bundle sees the second one's writes.
  cfg "$B1" '.process.args = ["sh", "-c", "cat /anon/b /named/b /host/b"]'
  ctr_run "$B1" "$ID-3"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'two\ntwo\ntwo')" ]
}

@test "--volumes-from BUNDLE:ro mounts the other bundle's volumes read-only" {
  mkbundle -v /anon -v vol1:/named "$PLAIN/busybox" "$B1" -- sh -c 'echo one > /anon/a; echo one > /named/a'
  ctr_run "$B1"
  [ "$status" -eq 0 ]
  mkbundle --volumes-from "$B1:ro" "$PLAIN/busybox" "$B2" -- \
    sh -c 'cat /anon/a /named/a; touch /anon/x || echo anon ro; touch /named/x || echo named ro'
  ctr_run "$B2" "$ID-2"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'one\none\nanon ro\nnamed ro')" ]
  [ ! -e "$(volume_source "$B1" /anon)/x" ]
  [ ! -e "$STORE/volumes/vol1/_data/x" ]
}

@test "--volumes-from of a non-bundle, or with a mode other than ro or rw: error" {
  mkdir "$BATS_TEST_TMPDIR/notabundle"
  bad_bundle "no image.json" --volumes-from "$BATS_TEST_TMPDIR/notabundle"
  mkbundle -v /anon "$PLAIN/busybox" "$B2" -- true
  bad_bundle "ro or rw" --volumes-from "$B2:xx"
}

# --- volume errors ----------------------------------------------------------

@test "two volumes, or a volume and a tmpfs, on one path: error" {
  mkdir "$BATS_TEST_TMPDIR/host"
  bad_bundle "/a is already a mount point" -v /a -v "$BATS_TEST_TMPDIR/host:/a"
  bad_bundle "/a is already a mount point" -v vol1:/a -v vol2:/a
  bad_bundle "/a is already a mount point" --tmpfs /a -v /a
  mkbundle -v /anon "$PLAIN/busybox" "$B2" -- true
  bad_bundle "/anon is already a mount point" -v /anon --volumes-from "$B2"
}

@test "mount paths are compared cleaned: /a, /a/ and /b/../a are one path" {
  mkdir "$BATS_TEST_TMPDIR/host"
  bad_bundle "already a mount point" -v /a -v "$BATS_TEST_TMPDIR/host:/a/"
  bad_bundle "already a mount point" -v /a -v /b/../a
  bad_bundle "already a mount point" --tmpfs /a/ -v /a
}

@test "a container path with .. never makes directories outside the bundle" {
  local up
  up=$(printf '../%.0s' $(seq 40))
  # Either refused or taken as the cleaned path inside the container; the
  # host directory must not appear.
  run_tool ctr-layer layer bundle -v "/$up${BATS_TEST_TMPDIR#/}/escape-v" "$PLAIN/busybox" "$B1" -- true
  [ ! -e "$BATS_TEST_TMPDIR/escape-v" ]
  run_tool ctr-layer layer bundle --tmpfs "/$up${BATS_TEST_TMPDIR#/}/escape-tmpfs" "$PLAIN/busybox" "$B2" -- true
  [ ! -e "$BATS_TEST_TMPDIR/escape-tmpfs" ]
}

@test "bad -v specs: exit 1, one error line naming the problem, no bundle left" {
  local spec want
  while IFS='|' read -r spec want; do
    bad_bundle "$want" -v "$spec"
  done <<EOF
|volume "": expected [SOURCE:]DEST[:OPTIONS]
a:b:c:d|volume "a:b:c:d": expected [SOURCE:]DEST[:OPTIONS]
/a::ro|expected [SOURCE:]DEST[:OPTIONS]
r\$l:/x|"r\$l" is neither a volume name
a/b:/x|"a/b" is neither a volume name
/x:relative|"relative"
vol1:relative:ro|the container path "relative" is not absolute
$BATS_TEST_TMPDIR/h:/c:bogus|unknown option "bogus"
vol1:/|cannot mount a volume on /
EOF
  # A refused spec made nothing: no host directory, no named volume.
  [ ! -e "$BATS_TEST_TMPDIR/h" ]
  [ ! -e "$STORE/volumes/vol1" ]
}

# --- --tmpfs ------------------------------------------------------------------

@test "--tmpfs /run:size=1m: a tmpfs with noexec, nosuid, nodev and the size, outside the container's changes" {
  mkbundle --tmpfs /run:size=1m "$PLAIN/busybox" "$B1" -- \
    sh -c 'awk "\$5 == \"/run\" { print \$6, \$(NF-2), \$NF }" /proc/self/mountinfo; echo x > /run/f; cat /run/f'
  ctr_run "$B1"
  [ "$status" -eq 0 ]
  # mountinfo: mount options, then after "-": fs type, source, super options.
  read -r opts fstype super <<<"${lines[0]}"
  [ "$fstype" = tmpfs ]
  [[ ",$opts," == *,noexec,* && ",$opts," == *,nosuid,* && ",$opts," == *,nodev,* && ",$opts," == ,rw,* ]]
  [[ ",$super," == *,size=1024k,* ]]
  [ "${lines[1]}" = x ]
  [ ! -e "$B1/upper/run/f" ]
}

# --- capabilities -------------------------------------------------------------

@test "default capabilities are docker's 14: chown works, NET_ADMIN is absent" {
  mkbundle "$PLAIN/busybox" "$B1" -- \
    sh -c 'grep -E "^Cap(Eff|Bnd):" /proc/self/status; chown 1000 /tmp && echo chown ok; ip link set lo mtu 1000 || echo no net_admin'
  [ "$(jq '.process.capabilities.bounding | length' "$B1/config.json")" -eq 14 ]
  ! jq -e '.process.capabilities.bounding | index("CAP_NET_ADMIN")' "$B1/config.json" >/dev/null || false
  ctr_run "$B1"
  [ "$status" -eq 0 ]
  # a80425fb: what `docker run busybox grep CapEff /proc/self/status` shows.
  [ "$(cap_mask "${DOCKER_CAPS[@]}")" = 00000000a80425fb ]
  [ "${lines[0]}" = "CapEff:	00000000a80425fb" ]
  [ "${lines[1]}" = "CapBnd:	00000000a80425fb" ]
  [ "${lines[2]}" = "chown ok" ]
  [ "${lines[3]}" = "no net_admin" ]
}

@test "--cap-add NET_ADMIN and cap_sys_admin: case-insensitive, CAP_ prefix optional" {
  mkbundle --cap-add NET_ADMIN --cap-add cap_sys_admin "$PLAIN/busybox" "$B1" -- \
    sh -c 'grep "^CapEff:" /proc/self/status; ip link set lo mtu 1000 && echo net_admin ok'
  jq -e '.process.capabilities.effective | index("CAP_NET_ADMIN") and index("CAP_SYS_ADMIN")' "$B1/config.json" >/dev/null
  ctr_run "$B1"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "CapEff:	$(cap_mask "${DOCKER_CAPS[@]}" NET_ADMIN SYS_ADMIN)" ]
  [ "${lines[1]}" = "net_admin ok" ]
}

@test "--cap-drop ALL empties every set; --cap-drop ALL --cap-add CHOWN keeps only CHOWN" {
  mkbundle --cap-drop ALL "$PLAIN/busybox" "$B1" -- \
    sh -c 'grep -E "^Cap(Prm|Eff|Bnd):" /proc/self/status; chown 1000 /tmp || echo chown failed'
  ctr_run "$B1"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "CapPrm:	0000000000000000" ]
  [ "${lines[1]}" = "CapEff:	0000000000000000" ]
  [ "${lines[2]}" = "CapBnd:	0000000000000000" ]
  [ "${lines[3]}" = "chown failed" ]
  mkbundle --cap-drop all --cap-add chown "$PLAIN/busybox" "$B2" -- sh -c 'grep "^CapEff:" /proc/self/status'
  ctr_run "$B2" "$ID-2"
  [ "$status" -eq 0 ]
  [ "$output" = "CapEff:	$(cap_mask CHOWN)" ]
}

@test "--cap-drop CHOWN: chown fails, the rest of the default set stays" {
  mkbundle --cap-drop CHOWN "$PLAIN/busybox" "$B1" -- \
    sh -c 'grep "^CapEff:" /proc/self/status; chown 1000 /tmp || echo chown failed'
  ctr_run "$B1"
  [ "$status" -eq 0 ]
  local rest=("${DOCKER_CAPS[@]/CHOWN/}")
  [ "${lines[0]}" = "CapEff:	$(cap_mask "${rest[@]}")" ]
  [ "${lines[1]}" = "chown failed" ]
  [[ "$stderr" == *"Operation not permitted"* ]]
}

@test "an unknown capability is an error naming it" {
  bad_bundle "CAP_BOGUS: no such capability" --cap-add BOGUS
  bad_bundle "CAP_NOPE: no such capability" --cap-drop cap_nope
}

@test "a non-root user (-u 1000) has no effective capability but docker's bounding set" {
  mkbundle -u 1000 "$PLAIN/busybox" "$B1" -- sh -c 'id -u; grep -E "^Cap(Prm|Eff|Bnd):" /proc/self/status'
  [ "$(jq -c '.process.capabilities.effective' "$B1/config.json")" = '[]' ]
  ctr_run "$B1"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1000 ]
  [ "${lines[1]}" = "CapPrm:	0000000000000000" ]
  [ "${lines[2]}" = "CapEff:	0000000000000000" ]
  [ "${lines[3]}" = "CapBnd:	00000000a80425fb" ]
}

# --- --privileged -------------------------------------------------------------

# The host's char and block devices outside a container's default set that a
# privileged container must get, as "NAME TYPE MAJOR:MINOR" lines (the same
# script runs on the host and in the container).
DEVICES_SCRIPT='
for d in loop-control fuse kvm net/tun vda zram0 vsock loop0; do
  if [ -c /dev/$d ]; then echo "$d c $(stat -c %t:%T /dev/$d)"
  elif [ -b /dev/$d ]; then echo "$d b $(stat -c %t:%T /dev/$d)"
  fi
done'

@test "--privileged config: no masked or read-only paths, every device allowed, host devices, /sys writable" {
  mkbundle --privileged "$PLAIN/busybox" "$B1" -- true
  local c=$B1/config.json
  jq -e '.linux | has("maskedPaths") or has("readonlyPaths") | not' "$c" >/dev/null
  jq -e '.linux.resources.devices == [{"allow": true, "access": "rwm"}]' "$c" >/dev/null
  [ "$(jq -c '.mounts[] | select(.destination == "/sys") | .options | index("ro")' "$c")" = null ]
  [ "$(jq -r .process.noNewPrivileges "$c")" = false ]
  # Each host device node, with its numbers.
  local name type nums
  while read -r name type nums; do
    jq -e --arg p "/dev/$name" --arg t "$type" --argjson ma "$((16#${nums%:*}))" --argjson mi "$((16#${nums#*:}))" \
      'any(.linux.devices[]; .path == $p and .type == $t and .major == $ma and .minor == $mi)' "$c" >/dev/null
  done < <(sh -c "$DEVICES_SCRIPT")
}

@test "--privileged container: every capability the host has, its devices, /sys writable, nothing masked" {
  local host_devs
  host_devs=$(sh -c "$DEVICES_SCRIPT")
  [ -n "$host_devs" ] || skip "none of the probed device nodes exist on this host"
  mkbundle "$PLAIN/busybox" "$B1" -- sh -c "$DEVICES_SCRIPT"
  ctr_run "$B1"
  [ "$status" -eq 0 ]
  # Without --privileged: none of them.
  [ -z "$output" ]
  mkbundle --privileged "$PLAIN/busybox" "$B2" -- sh -c "grep '^CapEff:' /proc/self/status
    awk '\$5 == \"/sys\" { print \"sys\", \$6 } \$5 == \"/proc/kcore\" || \$5 == \"/proc/sys\" { print \"masked\", \$5 }' /proc/self/mountinfo
    $DEVICES_SCRIPT"
  ctr_run "$B2" "$ID-2"
  [ "$status" -eq 0 ]
  # Docker's --privileged: all the capabilities available here (the host's
  # bounding set, within those this kernel and ctr-layer know).
  local bnd known
  bnd=$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)
  known=$(((1 << ${#CAP_NAMES[@]}) - 1))
  [ "${lines[0]}" = "CapEff:	$(printf '%016x' $((16#$bnd & known)))" ]
  [[ "${lines[1]}" == "sys rw,"* ]]
  [ "$(printf '%s\n' "${lines[@]:2}")" = "$host_devs" ]
}

# --- resources ----------------------------------------------------------------

@test "-m, --cpus and --pids-limit set linux.resources in config.json" {
  mkbundle -m 64m --cpus 0.5 --pids-limit 50 "$PLAIN/busybox" "$B1" -- true
  local c=$B1/config.json
  [ "$(jq .linux.resources.memory.limit "$c")" -eq 67108864 ]
  [ "$(jq .linux.resources.cpu.quota "$c")" -eq 50000 ]
  [ "$(jq .linux.resources.cpu.period "$c")" -eq 100000 ]
  [ "$(jq .linux.resources.pids.limit "$c")" -eq 50 ]
  # Other units; 0 or -1 means no pids limit; the 6 MiB minimum itself is fine.
  mkbundle -m 1g --pids-limit -1 "$PLAIN/busybox" "$B2" -- true
  [ "$(jq .linux.resources.memory.limit "$B2/config.json")" -eq 1073741824 ]
  [ "$(jq '.linux.resources | has("pids")' "$B2/config.json")" = false ]
  mkbundle -m 6291456 --pids-limit 0 "$PLAIN/busybox" "$B3" -- true
  [ "$(jq .linux.resources.memory.limit "$B3/config.json")" -eq 6291456 ]
  [ "$(jq '.linux.resources | has("pids")' "$B3/config.json")" = false ]
}

@test "bad -m and --cpus values: one error line each, no bundle" {
  bad_bundle "--memory 1x: expected a size" -m 1x
  bad_bundle "--memory 1k: the minimum is 6 MiB" -m 1k
  bad_bundle "the minimum is 6 MiB" -m 6291455
  bad_bundle "--cpus 0: expected a number" --cpus 0
  bad_bundle "--cpus 1000: expected a number" --cpus 1000
  bad_bundle "--cpus abc: expected a number" --cpus abc
}

@test "-m, --cpus and --pids-limit are applied to the running container's cgroup" {
  mkbundle -m 64m --cpus 0.5 --pids-limit 50 "$PLAIN/busybox" "$B1" -- sh -c "$LIMITS_SCRIPT"
  ctr_run "$B1"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "memory 67108864" ]
  [ "${lines[1]}" = "cpu 50000 100000" ]
  [ "${lines[2]}" = "pids 50" ]
}

@test "--pids-limit 8: the container cannot have more than 8 processes" {
  # The inner shell forks sleepers until fork fails; the outer one then
  # counts the processes with builtins only (no fork needed).
  mkbundle --pids-limit 8 "$PLAIN/busybox" "$B1" -- \
    sh -c 'sh -c "i=0; while [ \$i -lt 20 ]; do sleep 1000 & i=\$((i + 1)); done"; set -- /proc/[0-9]*; echo $#'
  ctr_run "$B1"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"can't fork"* ]]
  [ "$output" -le 8 ]
}

# --- diff ---------------------------------------------------------------------

@test "diff after a run lists only what the process wrote, not mount points" {
  mkdir "$BATS_TEST_TMPDIR/host"
  mkbundle -v "$BATS_TEST_TMPDIR/host:/mnt/deep/host" -v /anon/dir -v vol1:/srv/vol --tmpfs /run \
    "$PLAIN/busybox" "$B1" -- \
    sh -c 'echo x > /tmp/x; echo h > /mnt/deep/host/f; echo a > /anon/dir/f; echo v > /srv/vol/f; echo r > /run/f'
  ctr_run "$B1"
  [ "$status" -eq 0 ]
  run_tool ctr-layer layer diff "$B1"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'C /tmp\nA /tmp/x')" ]
  # The mount points the image lacked are in the bundle's init layer.
  [ -d "$B1/init/mnt/deep/host" ] && [ -d "$B1/init/anon/dir" ] && [ -d "$B1/init/srv/vol" ]
  [ -d "$B1/init/dev/pts" ] && [ ! -e "$B1/upper/dev" ] && [ ! -e "$B1/upper/proc" ] && [ ! -e "$B1/upper/sys" ]
}
