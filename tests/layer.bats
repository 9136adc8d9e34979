#!/usr/bin/env bats
# ctr-layer: the layer cache and bundles made from pulled images, run by
# ctr-run and by runc.

load helpers
load registry
load layer

setup_file() {
  registry_require || return 0
  layer_setup_file
}
teardown_file() { registry_stop; }

setup() { layer_setup "$PLAIN/busybox:latest"; }
teardown() { layer_teardown; }

@test "unpack extracts each layer once, named by its diff_id" {
  run layer unpack "$PLAIN/busybox"
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 2 ]
  local cfg
  cfg=$("$CTR_IMAGE" --root "$STORE" inspect --format .rootfs.diff_ids "$PLAIN/busybox")
  for i in 0 1; do
    [ "${lines[$i]}" = "$STORE/layers/sha256/$(jq -r ".[$i]" <<<"$cfg" | cut -d: -f2)" ]
    [ -d "${lines[$i]}" ]
  done
  [ -x "${lines[0]}/bin/busybox" ]
  [ -f "${lines[1]}/etc/hello" ]
  # A second unpack changes nothing.
  local before
  before=$(stat -c %Y "${lines[0]}")
  run layer unpack "$PLAIN/busybox"
  [ "$status" -eq 0 ]
  [ "$(stat -c %Y "${lines[0]}")" = "$before" ]
  [ -z "$(ls "$STORE/layers" | grep '^tmp-' || true)" ]
}

@test "bundle runs with ctr-run and with runc; a command after -- replaces Cmd" {
  run layer bundle "$PLAIN/busybox" "$BATS_TEST_TMPDIR/b1" -- sh -c 'echo hello from $(hostname); cat /etc/hello'
  [ "$status" -eq 0 ]
  [ "$output" = "$BATS_TEST_TMPDIR/b1" ]
  [ -f "$BATS_TEST_TMPDIR/b1/config.json" ]
  [ "$(jq -r .image "$BATS_TEST_TMPDIR/b1/image.json")" = "$PLAIN/busybox:latest" ]
  run timeout 30 "$RUNTIME" --root "$BATS_TEST_TMPDIR/state" run -b "$BATS_TEST_TMPDIR/b1" "$ID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "hello from ctr" ]
  if command -v runc >/dev/null; then
    run timeout 30 runc --root "$BATS_TEST_TMPDIR/runc" run -b "$BATS_TEST_TMPDIR/b1" "$ID-runc"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "hello from ctr" ]
  fi
}

@test "the image's Cmd is the default; writes go to upper, layers stay untouched" {
  layer bundle "$PLAIN/busybox" "$BATS_TEST_TMPDIR/b2" >/dev/null
  [ "$(jq -c .process.args "$BATS_TEST_TMPDIR/b2/config.json")" = '["sh"]' ]
  cfg "$BATS_TEST_TMPDIR/b2" '.process.args = ["sh", "-c", "echo changed > /etc/hello; touch /new"]'
  run timeout 30 "$RUNTIME" --root "$BATS_TEST_TMPDIR/state" run -b "$BATS_TEST_TMPDIR/b2" "$ID"
  [ "$status" -eq 0 ]
  [ "$(cat "$BATS_TEST_TMPDIR/b2/upper/etc/hello")" = changed ]
  [ -f "$BATS_TEST_TMPDIR/b2/upper/new" ]
  for d in "$STORE"/layers/sha256/*; do
    [ ! -e "$d/new" ]
    [ ! -f "$d/etc/hello" ] || [ "$(cat "$d/etc/hello")" != changed ]
  done
}

@test "run options: -e, -w, -u by name, --hostname, --read-only, --net host" {
  layer bundle -e FOO=bar -e HOME=/root -w /tmp -u nobody --hostname box --read-only --net host \
    "$PLAIN/busybox" "$BATS_TEST_TMPDIR/b3" -- sh -c 'echo $FOO; pwd; id -u; hostname; touch /x 2>/dev/null || echo ro' >/dev/null
  local c=$BATS_TEST_TMPDIR/b3/config.json
  jq -e '.process.env | index("FOO=bar")' "$c" >/dev/null
  [ "$(jq -r .process.cwd "$c")" = /tmp ]
  [ "$(jq -r .process.user.uid "$c")" = 65534 ]
  [ "$(jq -r .root.readonly "$c")" = true ]
  ! jq -e '.linux.namespaces[] | select(.type == "network")' "$c" >/dev/null
  run timeout 30 "$RUNTIME" --root "$BATS_TEST_TMPDIR/state" run -b "$BATS_TEST_TMPDIR/b3" "$ID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = bar ]
  [ "${lines[1]}" = /tmp ]
  [ "${lines[2]}" = 65534 ]
  [ "${lines[3]}" = box ]
  [ "${lines[4]}" = ro ]
}

@test "bad input: unknown image, unknown user, existing DIR, unsupported --net" {
  run layer bundle nothere:latest "$BATS_TEST_TMPDIR/b4"
  [ "$status" -eq 1 ]
  [[ "$output" == "ctr-layer: error: "* ]]
  [ ! -e "$BATS_TEST_TMPDIR/b4" ]
  run layer bundle -u nosuchuser "$PLAIN/busybox" "$BATS_TEST_TMPDIR/b4"
  [ "$status" -eq 1 ]
  [[ "$output" == *nosuchuser* ]]
  [ ! -e "$BATS_TEST_TMPDIR/b4" ]
  ! grep -q "$BATS_TEST_TMPDIR/b4" /proc/self/mountinfo
  mkdir "$BATS_TEST_TMPDIR/b5"
  touch "$BATS_TEST_TMPDIR/b5/keep"
  run layer bundle "$PLAIN/busybox" "$BATS_TEST_TMPDIR/b5"
  [ "$status" -eq 1 ]
  [ -f "$BATS_TEST_TMPDIR/b5/keep" ]
  run layer bundle --net bridge "$PLAIN/busybox" "$BATS_TEST_TMPDIR/b6"
  [ "$status" -eq 1 ]
  [[ "$output" == *bridge* ]]
}

@test "rm unmounts and removes a bundle; gc keeps layers a bundle uses" {
  layer bundle "$PLAIN/busybox" "$BATS_TEST_TMPDIR/b7" >/dev/null
  grep -q "$BATS_TEST_TMPDIR/b7/rootfs" /proc/self/mountinfo
  "$CTR_IMAGE" --root "$STORE" rm "$PLAIN/busybox"
  "$CTR_IMAGE" --root "$STORE" gc 2>/dev/null
  [ "$(ls "$STORE/layers/sha256" | wc -l)" -eq 2 ]
  run layer rm "$BATS_TEST_TMPDIR/b7"
  [ "$status" -eq 0 ]
  [ ! -e "$BATS_TEST_TMPDIR/b7" ]
  ! grep -q "$BATS_TEST_TMPDIR/b7/rootfs" /proc/self/mountinfo
  "$CTR_IMAGE" --root "$STORE" gc 2>/dev/null
  [ "$(ls "$STORE/layers/sha256" | wc -l)" -eq 0 ]
  # rm of something that is not a bundle refuses.
  mkdir "$BATS_TEST_TMPDIR/b8"
  run layer rm "$BATS_TEST_TMPDIR/b8"
  [ "$status" -eq 1 ]
  [ -d "$BATS_TEST_TMPDIR/b8" ]
}

@test "diff lists A, C and D like docker diff; export is the container's whole filesystem" {
  layer bundle "$PLAIN/busybox" "$BATS_TEST_TMPDIR/b9" -- \
    sh -c 'echo x > /etc/new; rm /bin/ls; mkdir /d; echo y > /d/f' >/dev/null
  run timeout 30 "$RUNTIME" --root "$BATS_TEST_TMPDIR/state" run -b "$BATS_TEST_TMPDIR/b9" "$ID"
  [ "$status" -eq 0 ]
  run layer diff "$BATS_TEST_TMPDIR/b9"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'C /bin\nD /bin/ls\nA /d\nA /d/f\nC /etc\nA /etc/new')" ]
  layer export "$BATS_TEST_TMPDIR/b9" >"$BATS_TEST_TMPDIR/fs.tar"
  tar -tf "$BATS_TEST_TMPDIR/fs.tar" >"$BATS_TEST_TMPDIR/fs.list"
  grep -qx './etc/new' "$BATS_TEST_TMPDIR/fs.list"
  grep -qx './bin/busybox' "$BATS_TEST_TMPDIR/fs.list"
  ! grep -qx './bin/ls' "$BATS_TEST_TMPDIR/fs.list"
  [ "$(tar -xOf "$BATS_TEST_TMPDIR/fs.tar" ./d/f)" = y ]
  # After a reboot the overlay is gone; export mounts it again from image.json.
  umount "$BATS_TEST_TMPDIR/b9/rootfs"
  layer export "$BATS_TEST_TMPDIR/b9" | tar -t | grep -qx './etc/new'
  # Not a bundle: a clear error.
  mkdir "$BATS_TEST_TMPDIR/b10"
  run layer diff "$BATS_TEST_TMPDIR/b10"
  [ "$status" -eq 1 ]
  [[ "$output" == *"no image.json"* ]]
}

@test "commit makes the changes a new layer: the image runs, history shows the step, skopeo reads it" {
  layer bundle "$PLAIN/busybox" "$BATS_TEST_TMPDIR/b11" -- \
    sh -c 'echo committed > /etc/new; rm /bin/ls; mkdir /d; echo y > /d/f' >/dev/null
  run timeout 30 "$RUNTIME" --root "$BATS_TEST_TMPDIR/state" run -b "$BATS_TEST_TMPDIR/b11" "$ID"
  [ "$status" -eq 0 ]
  run layer commit -m "my step" -c 'CMD ["cat", "/etc/new"]' -c 'ENV A=1' "$BATS_TEST_TMPDIR/b11" mine:v1
  [ "$status" -eq 0 ]
  [[ "$output" == docker.io/library/mine:v1@sha256:* ]]
  run "$CTR_IMAGE" --root "$STORE" history mine:v1
  [ "$status" -eq 0 ]
  [[ "${lines[-1]}" == *"ctr-layer commit"*"my step"* ]]
  [ "$(timeout 30 skopeo inspect "oci:$STORE/oci:docker.io/library/mine:v1" | jq '.Layers | length')" -eq 3 ]
  layer bundle mine:v1 "$BATS_TEST_TMPDIR/b12" >/dev/null
  jq -e '.process.env | index("A=1")' "$BATS_TEST_TMPDIR/b12/config.json" >/dev/null
  run timeout 30 "$RUNTIME" --root "$BATS_TEST_TMPDIR/state" run -b "$BATS_TEST_TMPDIR/b12" "$ID-2"
  [ "$status" -eq 0 ]
  [ "$output" = committed ]
  # The deletion is a whiteout in the new layer: /bin/ls is gone in the new image.
  [ ! -e "$BATS_TEST_TMPDIR/b12/rootfs/bin/ls" ]
  [ -e "$BATS_TEST_TMPDIR/b12/rootfs/bin/busybox" ]
  run layer commit -c 'EXPOSE 80' "$BATS_TEST_TMPDIR/b11" bad:v1
  [ "$status" -eq 1 ]
  [[ "$output" == *EXPOSE* ]]
}

@test "import makes a tar a one-layer image, like docker import" {
  layer bundle "$PLAIN/busybox" "$BATS_TEST_TMPDIR/b13" >/dev/null
  layer export "$BATS_TEST_TMPDIR/b13" | gzip >"$BATS_TEST_TMPDIR/fs.tar.gz"
  run layer import -c 'CMD ["cat", "/etc/hello"]' "$BATS_TEST_TMPDIR/fs.tar.gz" imported:v1
  [ "$status" -eq 0 ]
  [ "$(timeout 30 skopeo inspect "oci:$STORE/oci:docker.io/library/imported:v1" | jq '.Layers | length')" -eq 1 ]
  layer bundle imported:v1 "$BATS_TEST_TMPDIR/b14" >/dev/null
  run timeout 30 "$RUNTIME" --root "$BATS_TEST_TMPDIR/state" run -b "$BATS_TEST_TMPDIR/b14" "$ID"
  [ "$status" -eq 0 ]
  [ -n "$output" ]
  # From stdin too; a file that is not a tar is refused.
  layer export "$BATS_TEST_TMPDIR/b13" | layer import - fromstdin:v1 >/dev/null
  echo "not a tar" >"$BATS_TEST_TMPDIR/junk"
  run layer import "$BATS_TEST_TMPDIR/junk" junk:v1
  [ "$status" -eq 1 ]
  [[ "$output" == "ctr-layer: error: "*"not a tar archive"* ]]
  ! "$CTR_IMAGE" --root "$STORE" ls | grep -q junk
}
