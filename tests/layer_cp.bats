#!/usr/bin/env bats
# ctr-layer cp: files between a bundle and the host, as docker cp copies
# them, with the bundle's paths resolved inside its rootfs.

load helpers
load registry
load layer

setup_file() {
  registry_require || return 0
  layer_setup_file
}
teardown_file() { registry_stop; }

setup() {
  layer_setup "$PLAIN/busybox:latest"
  B=$BATS_TEST_TMPDIR/b
  H=$BATS_TEST_TMPDIR/host
  layer bundle "$PLAIN/busybox" "$B" -- true >/dev/null
  mkdir -p "$H/dir/sub"
  echo one >"$H/dir/one"
  chmod 640 "$H/dir/one"
  chown 1000:1000 "$H/dir/one"
  ln -s /etc/passwd "$H/dir/link"
}
teardown() { layer_teardown; }

@test "a host directory into a bundle: under its own name, owned by root, modes and links kept" {
  run_tool ctr-layer layer cp "$H/dir" "$B:/srv"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  # /srv does not exist: the copy becomes /srv.
  [ "$(cat "$B/rootfs/srv/one")" = one ]
  [ "$(stat -c '%a %u:%g' "$B/rootfs/srv/one")" = "640 0:0" ]
  [ "$(readlink "$B/rootfs/srv/link")" = /etc/passwd ]
  [ -d "$B/rootfs/srv/sub" ]
  # It went to the container's layer, not to the image's.
  [ -f "$B/upper/srv/one" ]
  # Into an existing directory: under its own name; -a keeps the owner.
  run_tool ctr-layer layer cp -a "$H/dir" "$B:/srv"
  [ "$status" -eq 0 ]
  [ "$(stat -c '%u:%g' "$B/rootfs/srv/dir/one")" = 1000:1000 ]
}

@test "files: to a new name, into a directory, over a file; DIR/. copies the content" {
  layer cp "$H/dir/one" "$B:/etc/renamed"
  [ "$(cat "$B/rootfs/etc/renamed")" = one ]
  layer cp "$H/dir/one" "$B:/etc"
  [ "$(cat "$B/rootfs/etc/one")" = one ]
  echo two >"$H/two"
  layer cp "$H/two" "$B:/etc/renamed"
  [ "$(cat "$B/rootfs/etc/renamed")" = two ]
  layer cp "$H/dir/." "$B:/etc"
  [ -L "$B/rootfs/etc/link" ]
  [ -d "$B/rootfs/etc/sub" ]
}

@test "out of a bundle: to the host, owned by the caller, or as a tar on stdout" {
  run_tool ctr-layer layer cp "$B:/etc/hello" "$H/"
  [ "$status" -eq 0 ]
  [ "$(cat "$H/hello")" = "$(cat "$B/rootfs/etc/hello")" ]
  layer cp "$B:/etc" "$H/etc-copy"
  [ -f "$H/etc-copy/passwd" ]
  [ "$(stat -c %u "$H/etc-copy/passwd")" = "$(id -u)" ]
  layer cp "$B:/etc" - >"$H/etc.tar"
  run tar -tf "$H/etc.tar"
  [[ $output == *"etc/passwd"* ]]
  [[ $output == *"etc/hello"* ]]
}

@test "the bundle's symlinks never lead out of its rootfs" {
  ln -s / "$B/rootfs/up"
  ln -s ../../../../../../.. "$B/rootfs/dots"
  echo host-secret >"$BATS_TEST_TMPDIR/secret"
  # Reading through them reads the container's files.
  layer cp "$B:/up/etc/passwd" "$H/p1"
  cmp "$H/p1" "$B/rootfs/etc/passwd"
  run_tool ctr-layer layer cp "$B:/dots$BATS_TEST_TMPDIR/secret" "$H/p2"
  [ "$status" -eq 1 ]
  [ ! -e "$H/p2" ]
  # Writing through them writes inside the rootfs.
  mkdir -p "$B/rootfs/tmp"
  layer cp "$H/dir/one" "$B:/up/tmp/planted"
  [ -f "$B/rootfs/tmp/planted" ]
  [ ! -e /tmp/planted ]
  run_tool ctr-layer layer cp "$H/dir/one" "$B:/dots$BATS_TEST_TMPDIR/planted"
  [ ! -e "$BATS_TEST_TMPDIR/planted" ]
}

@test "bad copies are refused with one error line and change nothing" {
  local before
  before=$(find "$B/upper" "$H" | sort)
  for args in "$B:/nonexistent $H/x" "$H/dir $B:/etc/passwd" "$H/dir $B:/no/such/parent" \
    "$H/dir/one $B:/newdir/" "$H/dir $H/other" "$B:/etc $B:/tmp" "- $B:/etc"; do
    # shellcheck disable=SC2086
    run_tool ctr-layer layer cp $args
    [ "$status" -ne 0 ]
    [ "${#stderr_lines[@]}" -eq 1 ]
    [[ ${stderr_lines[0]} == "ctr-layer: error: "* ]]
  done
  [ "$(find "$B/upper" "$H" | sort)" = "$before" ]
}

@test "rm keeps a bundle whose anonymous volume another bundle uses" {
  layer bundle -v /data "$PLAIN/busybox" "$BATS_TEST_TMPDIR/b-owner" -- true >/dev/null
  layer bundle --volumes-from "$BATS_TEST_TMPDIR/b-owner" "$PLAIN/busybox" "$BATS_TEST_TMPDIR/b-user" -- true >/dev/null
  run_tool ctr-layer layer rm "$BATS_TEST_TMPDIR/b-owner"
  [ "$status" -eq 1 ]
  [[ $stderr == *"uses its volume"*"remove that bundle first"* ]]
  [ -d "$BATS_TEST_TMPDIR/b-owner/volumes" ]
  layer rm "$BATS_TEST_TMPDIR/b-user"
  layer rm "$BATS_TEST_TMPDIR/b-owner"
  [ ! -e "$BATS_TEST_TMPDIR/b-owner" ]
}
