#!/usr/bin/env bats
# ctr-image on a store filled by ctr-pull from a real docker-registry on
# 127.0.0.1: ls, inspect, history, tag, rm, gc, save/load (OCI and docker
# archives, also ones written by skopeo, compressed ones and hostile ones),
# and search/tags against the registry. The store's oci/ is cross-checked
# with skopeo, umoci and oci-image-tool.

load helpers
load registry

CTR_PULL=${CTR_PULL:-$BATS_TEST_DIRNAME/../_build/registry/ctr-pull}
CTR_IMAGE=${CTR_IMAGE:-$BATS_TEST_DIRNAME/../_build/image/tool/ctr-image}
IMAGE_TIMEOUT=${IMAGE_TIMEOUT:-60}

setup_file() {
  registry_require || return 0
  export IMG=$BATS_FILE_TMPDIR/img
  # latest: 2 layers; extra: latest + 1 layer.
  make_busybox_image "$IMG" latest
  add_layer_image "$IMG" latest extra /etc/extra "a third layer"

  registry_start
  export PLAIN=$REG_HOST
  registry_push_oci "$IMG:latest" "$PLAIN/busybox:latest"
  registry_push_oci "$IMG:latest" "$PLAIN/busybox:v2"
  registry_push_oci "$IMG:extra" "$PLAIN/busybox-extra:latest"
  registry_push_oci "$IMG:latest" "$PLAIN/team/a:1"
  registry_push_oci "$IMG:latest" "$PLAIN/team/b:1"

  registry_start --auth
  export AUTH=$REG_HOST AUTH_USER=$REG_USER AUTH_PASS=$REG_PASS
  registry_push_oci "$IMG:latest" "$AUTH/secret:s1" --creds "$AUTH_USER:$AUTH_PASS"

  registry_start --tls
  export TLS=$REG_HOST TLS_CERTS=$REG_CERTS
  registry_push_oci "$IMG:latest" "$TLS/secure:t1" --tls

  export BB_DIGEST EXTRA_DIGEST BB_CONFIG EXTRA_CONFIG
  BB_DIGEST=$(layout_digest "$IMG" latest)
  EXTRA_DIGEST=$(layout_digest "$IMG" extra)
  BB_CONFIG=$(manifest_blobs "$IMG" "$BB_DIGEST" | head -1)
  EXTRA_CONFIG=$(manifest_blobs "$IMG" "$EXTRA_DIGEST" | head -1)
}

teardown_file() { registry_stop; }

setup() {
  registry_setup
  STORE=$BATS_TEST_TMPDIR/store
  unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
  # No credentials, certificates or store from the machine running the tests.
  export HOME=$BATS_TEST_TMPDIR/home XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/run
  mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
  unset REGISTRY_AUTH_FILE CTR_ROOT DOCKER_CONFIG
  [ -x "$CTR_IMAGE" ] || skip "ctr-image not built: $CTR_IMAGE"
  BB=$PLAIN/busybox:latest
  EXTRA=$PLAIN/busybox-extra:latest
}

teardown() { registry_teardown; }

# seed: ctr-pull puts busybox:latest and busybox-extra:latest in the store.
seed() {
  [ -x "$CTR_PULL" ] || skip "ctr-pull not built: $CTR_PULL"
  timeout -k 5 "$IMAGE_TIMEOUT" "$CTR_PULL" -q --root "$STORE" "$BB" "$EXTRA" >/dev/null 3>&- ||
    { echo "seed: ctr-pull failed" >&2; return 1; }
}

# img ARGS...: ctr-image with this test's store, bounded in time.
img() { timeout -k 5 "$IMAGE_TIMEOUT" "$CTR_IMAGE" --root "$STORE" "$@" 3>&-; }

# run_img ARGS...: run img, stdout in $output, stderr in $stderr.
run_img() { run_tool ctr-image img "$@"; }

img_ok() {
  run_img "$@"
  [ "$status" -eq 0 ]
}

one_error_line() { one_error_line_of ctr-image; }

# store_names [STORE]: the names in the store's index.json, sorted.
store_names() {
  local s=${1:-$STORE}
  [ -f "$s/oci/index.json" ] || return 0
  jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"] // empty' "$s/oci/index.json" | sort
}

# entry_digest NAME [STORE]: the manifest digest of entry NAME (exactly one).
entry_digest() { layout_digest "${2:-$STORE}/oci" "$1"; }

# blob_count [STORE]: the number of files in STORE/oci/blobs/sha256.
blob_count() { find "${1:-$STORE}/oci/blobs/sha256" -type f | wc -l; }

# validate_store [STORE]: check_layout, every name readable by skopeo and
# listed by umoci, and oci-image-tool validate (when installed).
validate_store() {
  local s=${1:-$STORE} n names
  check_layout "$s/oci" || return
  names=$(store_names "$s")
  diff <(timeout 30 umoci ls --layout "$s/oci" | sort) <(echo "$names") ||
    { echo "validate_store: umoci ls disagrees with index.json"; return 1; }
  while IFS= read -r n; do
    [ -n "$n" ] || continue
    timeout 30 skopeo inspect "oci:$s/oci:$n" >/dev/null ||
      { echo "validate_store: skopeo inspect oci:$s/oci:$n failed"; return 1; }
  done <<<"$names"
  if command -v oci-image-tool >/dev/null; then
    # Debian's oci-image-tool 1.0.0-rc1 has no "--type imageLayout"
    # ("unimplemented"); "--type image" on a directory validates the layout
    # and every ref in it.
    timeout 60 oci-image-tool validate --type image "$s/oci" >/dev/null ||
      { echo "validate_store: oci-image-tool validate $s/oci failed"; return 1; }
  fi
}

# ---------------------------------------------------------------------------
# ls, inspect, history

@test "ls shows every image: a table, and JSON with name, tag, id, digest, created, size" {
  img_ok ls --format json
  [ "$(jq -c . <<<"$output")" = "[]" ]
  seed
  img_ok ls
  [[ "${lines[0]}" =~ ^NAME\ +TAG\ +ID\ +CREATED\ +SIZE\ *$ ]]
  [ "${#lines[@]}" -eq 3 ]
  [ "$(printf '%s\n' "${lines[@]:1}" | awk '{print $1, $2, $3}' | sort)" = \
    "$(printf '%s\n' "$PLAIN/busybox latest ${BB_CONFIG:7:12}" "$PLAIN/busybox-extra latest ${EXTRA_CONFIG:7:12}" | sort)" ]

  img_ok ls --format json
  [ "$(jq length <<<"$output")" -eq 2 ]
  jq -e 'all(.[]; keys == ["created", "digest", "id", "name", "size", "tag"])' <<<"$output"
  local o m
  o=$(jq -c --arg n "$PLAIN/busybox" '.[] | select(.name == $n)' <<<"$output")
  [ "$(jq -r .tag <<<"$o")" = latest ]
  [ "$(jq -r .id <<<"$o")" = "$BB_CONFIG" ]
  [ "$(jq -r .digest <<<"$o")" = "$BB_DIGEST" ]
  [ "$(jq -r .created <<<"$o")" = "$(jq -r .created "$(layout_blob "$IMG" "$BB_CONFIG")")" ]
  # size: manifest, config and layers as stored.
  m=$(layout_blob "$IMG" "$BB_DIGEST")
  [ "$(jq -r .size <<<"$o")" -eq "$(($(stat -c %s "$m") + $(jq '.config.size + ([.layers[].size] | add)' "$m")))" ]
  o=$(jq -c --arg n "$PLAIN/busybox-extra" '.[] | select(.name == $n)' <<<"$output")
  [ "$(jq -r .digest <<<"$o")" = "$EXTRA_DIGEST" ]
  [ "$(jq -r .id <<<"$o")" = "$EXTRA_CONFIG" ]
}

@test "ls: an image named by digest has TAG <none>" {
  [ -x "$CTR_PULL" ] || skip "ctr-pull not built: $CTR_PULL"
  timeout 60 "$CTR_PULL" -q --root "$STORE" "$PLAIN/busybox@$BB_DIGEST" >/dev/null 3>&-
  img_ok ls
  [ "${#lines[@]}" -eq 2 ]
  [ "$(awk '{print $1, $2, $3}' <<<"${lines[1]}")" = "$PLAIN/busybox <none> ${BB_CONFIG:7:12}" ]
  img_ok inspect "$PLAIN/busybox@$BB_DIGEST" --format .digest
  [ "$output" = "$BB_DIGEST" ]
}

@test "inspect prints the config plus name, id, digest and manifest" {
  seed
  img_ok inspect "$BB"
  local cfg=$(layout_blob "$IMG" "$BB_CONFIG")
  [ "$(jq -r .name <<<"$output")" = "$BB" ]
  [ "$(jq -r .id <<<"$output")" = "$BB_CONFIG" ]
  [ "$(jq -r .digest <<<"$output")" = "$BB_DIGEST" ]
  [ "$(jq -S .manifest <<<"$output")" = "$(jq -S . "$(layout_blob "$IMG" "$BB_DIGEST")")" ]
  # The rest is the config itself.
  [ "$(jq -S 'del(.name, .id, .digest, .manifest)' <<<"$output")" = "$(jq -S . "$cfg")" ]
  # Without a tag: :latest.
  img_ok inspect "$PLAIN/busybox"
  [ "$(jq -r .digest <<<"$output")" = "$BB_DIGEST" ]
}

@test "inspect --format: .config.Cmd, {{.Config.Cmd}}, strings bare; a bad path is an error" {
  seed
  img_ok inspect "$BB" --format .config.Cmd
  [ "$(jq -c . <<<"$output")" = '["sh"]' ]
  [ "${#lines[@]}" -ge 1 ]
  img_ok inspect "$BB" --format '{{.Config.Cmd}}'
  [ "$(jq -c . <<<"$output")" = '["sh"]' ]
  img_ok inspect "$BB" --format .architecture
  [ "$output" = "$(go_arch)" ]
  img_ok inspect "$BB" --format .manifest.layers
  [ "$(jq -r '[.[].digest] | join(" ")' <<<"$output")" = \
    "$(manifest_blobs "$IMG" "$BB_DIGEST" | tail -n +2 | paste -sd' ')" ]
  img_ok inspect "$EXTRA" --format .rootfs.diff_ids
  [ "$(jq length <<<"$output")" -eq 3 ]
  run_img inspect "$BB" --format .config.NoSuchKey
  one_error_line
  [ -z "$output" ]
  run_img inspect "$BB" --format .config.Cmd.nope
  one_error_line
  [ -z "$output" ]
}

@test "inspect takes an image ID, a prefix of it, or ctr-pull's output line" {
  seed
  local id
  for id in "$BB_CONFIG" "${BB_CONFIG#sha256:}" "${BB_CONFIG:7:12}" "${BB_CONFIG:7:6}" "$BB@$BB_DIGEST"; do
    img_ok inspect "$id" --format .digest
    [ "$output" = "$BB_DIGEST" ]
  done
  img_ok inspect "${EXTRA_CONFIG:7:12}" --format .name
  [ "$output" = "$EXTRA" ]
}

@test "inspect of an image that is not in the store fails with one error line" {
  seed
  run_img inspect "$PLAIN/no-such:latest"
  one_error_line
  [[ "$ERR_LINE" == *"$PLAIN/no-such:latest"* ]]
  [ -z "$output" ]
  run_img inspect 0123456789ab
  one_error_line
}

@test "history shows one row per config history entry, oldest first" {
  seed
  local cfg i n by
  cfg=$(layout_blob "$IMG" "$EXTRA_CONFIG")
  n=$(jq '.history | length' "$cfg")
  [ "$n" -ge 4 ]
  img_ok history "$EXTRA"
  [[ "${lines[0]}" =~ ^CREATED\ +CREATED\ BY\ +SIZE\ +COMMENT\ *$ ]]
  [ "${#lines[@]}" -eq $((n + 1)) ]
  for i in $(seq 0 $((n - 1))); do
    by=$(jq -r --argjson i "$i" '.history[$i].created_by' "$cfg")
    [[ "${lines[$((i + 1))]}" == *"$by"* ]] || { echo "row $((i + 1)) lacks '$by'"; false; }
  done
  # SIZE: 0 for the steps that made no layer, more for the others.
  for i in $(seq 0 $((n - 1))); do
    local size
    size=$(awk -F '  +' '{print $3}' <<<"${lines[$((i + 1))]}")
    if jq -e --argjson i "$i" '.history[$i].empty_layer' "$cfg" >/dev/null; then
      [[ "$size" =~ ^0( ?B)?$ ]] || { echo "row $((i + 1)): size '$size' for an empty layer"; false; }
    else
      [[ ! "$size" =~ ^0( ?B)?$ ]] && [[ "$size" =~ ^[0-9] ]] || { echo "row $((i + 1)): size '$size'"; false; }
    fi
  done
  img_ok history "$BB"
  [ "${#lines[@]}" -eq $(($(jq '.history | length' "$(layout_blob "$IMG" "$BB_CONFIG")") + 1)) ]
  run_img history "$PLAIN/no-such:latest"
  one_error_line
}

# ---------------------------------------------------------------------------
# tag, rm, gc

@test "tag adds a name that ls, umoci and skopeo see; an existing DEST moves" {
  seed
  local new=$PLAIN/mine/bb:v1
  img_ok tag "$BB" "$new"
  [ -z "$output" ] || [ "$output" = "$new" ]
  [ "$(entry_digest "$new")" = "$BB_DIGEST" ]
  [ "$(entry_digest "$BB")" = "$BB_DIGEST" ]
  img_ok ls --format json
  [ "$(jq -r --arg n "$PLAIN/mine/bb" '.[] | select(.name == $n) | .tag + " " + .digest' <<<"$output")" = "v1 $BB_DIGEST" ]
  timeout 30 umoci ls --layout "$STORE/oci" | grep -qxF -- "$new"
  run timeout 30 skopeo inspect "oci:$STORE/oci:$new"
  [ "$status" -eq 0 ]
  [ "$(jq -r .Digest <<<"$output")" = "$BB_DIGEST" ]
  # A short name is normalised.
  img_ok tag "$BB" mybb
  [ "$(entry_digest docker.io/library/mybb:latest)" = "$BB_DIGEST" ]
  # DEST already names an image: it now names SRC only.
  img_ok tag "$EXTRA" "$new"
  [ "$(entry_digest "$new")" = "$EXTRA_DIGEST" ]
  [ "$(store_names | wc -l)" -eq 4 ]
  validate_store
}

@test "tag of a missing SRC fails with one error line and changes nothing" {
  seed
  local before
  before=$(store_snapshot)
  run_img tag "$PLAIN/no-such:latest" "$PLAIN/x:1"
  one_error_line
  [ "$(store_snapshot)" = "$before" ]
}

@test "rm removes the name but not the blobs; gc then removes the unreferenced blobs" {
  seed
  # busybox: manifest, config, 2 layers; busybox-extra adds a manifest, a
  # config and 1 layer.
  [ "$(blob_count)" -eq 7 ]
  run_img gc
  [ "$status" -eq 0 ]
  [ "$(blob_count)" -eq 7 ] # everything is referenced
  img_ok rm "$EXTRA"
  [ "$(store_names)" = "$BB" ]
  [ "$(blob_count)" -eq 7 ]
  img_ok gc
  echo "gc stderr: $stderr"
  [ "$(blob_count)" -eq 4 ]
  [[ "$stderr" == *3* ]] # reports the 3 blobs it removed
  [ ! -e "$(layout_blob "$STORE/oci" "$EXTRA_DIGEST")" ]
  [ ! -e "$(layout_blob "$STORE/oci" "$EXTRA_CONFIG")" ]
  local d
  for d in $(manifest_blobs "$IMG" "$BB_DIGEST") "$BB_DIGEST"; do
    [ -f "$(layout_blob "$STORE/oci" "$d")" ]
  done
  validate_store
  run timeout 30 skopeo inspect "oci:$STORE/oci:$BB"
  [ "$status" -eq 0 ]
  [ "$(jq -r .Digest <<<"$output")" = "$BB_DIGEST" ]
  # The last name goes: gc empties the store.
  img_ok rm "$BB"
  img_ok gc
  [ "$(blob_count)" -eq 0 ]
  img_ok ls --format json
  [ "$(jq length <<<"$output")" -eq 0 ]
}

@test "rm by image ID removes every name of that image" {
  seed
  img_ok tag "$BB" "$PLAIN/second:name"
  img_ok rm "${BB_CONFIG:7:12}"
  [ "$(store_names)" = "$EXTRA" ]
  validate_store
}

@test "rm of a missing name fails with one error line and removes nothing" {
  seed
  local before
  before=$(store_snapshot)
  run_img rm "$PLAIN/no-such:latest"
  one_error_line
  [[ "$ERR_LINE" == *"$PLAIN/no-such:latest"* ]]
  [ "$(store_snapshot)" = "$before" ]
  # Together with a name that exists: still nothing is removed.
  run_img rm "$BB" "$PLAIN/no-such:latest"
  one_error_line
  [ "$(store_snapshot)" = "$before" ]
  [ "$(store_names)" = "$(printf '%s\n' "$BB" "$EXTRA" | sort)" ]
}

# ---------------------------------------------------------------------------
# save and load

@test "save writes an oci-archive that skopeo reads; load restores the same manifest" {
  seed
  local tar=$BATS_TEST_TMPDIR/out/bb.tar s2=$BATS_TEST_TMPDIR/store2
  mkdir -p "${tar%/*}"
  img_ok save "$BB" -o "$tar"
  [ -z "$output" ]
  [ "$(ls -A "${tar%/*}")" = bb.tar ] # no temporary file left behind
  run timeout 30 skopeo inspect "oci-archive:$tar"
  [ "$status" -eq 0 ]
  [ "$(jq -r .Digest <<<"$output")" = "$BB_DIGEST" ]
  run timeout 30 skopeo inspect "oci-archive:$tar:$BB"
  [ "$status" -eq 0 ]
  STORE=$s2 img_ok load -i "$tar"
  [ "$output" = "$BB@$BB_DIGEST" ]
  [ "$(store_names "$s2")" = "$BB" ]
  [ "$(entry_digest "$BB" "$s2")" = "$BB_DIGEST" ]
  validate_store "$s2"
  # Loading it again changes nothing.
  STORE=$s2 img_ok load -i "$tar"
  [ "$(store_names "$s2")" = "$BB" ]
}

@test "save of two images to stdout, load from stdin: both come back" {
  seed
  local s2=$BATS_TEST_TMPDIR/store2 lines_
  img save "$BB" "$EXTRA" | STORE=$s2 img load >"$BATS_TEST_TMPDIR/loaded"
  lines_=$(sort "$BATS_TEST_TMPDIR/loaded")
  [ "$lines_" = "$(printf '%s\n' "$BB@$BB_DIGEST" "$EXTRA@$EXTRA_DIGEST" | sort)" ]
  [ "$(entry_digest "$EXTRA" "$s2")" = "$EXTRA_DIGEST" ]
  validate_store "$s2"
}

@test "save --format docker-archive: manifest.json with RepoTags; skopeo reads it; load restores it" {
  seed
  local tar=$BATS_TEST_TMPDIR/bb-docker.tar s2=$BATS_TEST_TMPDIR/store2 m
  img_ok save --format docker-archive "$BB" -o "$tar"
  m=$(tar -xOf "$tar" manifest.json)
  echo "manifest.json: $m"
  [ "$(jq -c '.[0].RepoTags' <<<"$m")" = "[\"$BB\"]" ]
  [ "$(jq '.[0].Layers | length' <<<"$m")" -eq 2 ]
  # The config goes in unchanged (the image ID stays the same).
  [ "$(tar -xOf "$tar" "$(jq -r '.[0].Config' <<<"$m")" | sha256sum | cut -d' ' -f1)" = "${BB_CONFIG#sha256:}" ]
  run timeout 30 skopeo inspect "docker-archive:$tar"
  [ "$status" -eq 0 ]
  [ "$(jq -c .Layers <<<"$output")" = "$(jq -c .rootfs.diff_ids "$(layout_blob "$IMG" "$BB_CONFIG")")" ]
  STORE=$s2 img_ok load -i "$tar"
  [[ "$output" =~ ^"$BB"@sha256:[0-9a-f]{64}$ ]]
  [ "$(store_names "$s2")" = "$BB" ]
  STORE=$s2 img_ok inspect "$BB"
  [ "$(jq -r .id <<<"$output")" = "$BB_CONFIG" ]
  [ "$(jq -c .rootfs.diff_ids <<<"$output")" = "$(jq -c .rootfs.diff_ids "$(layout_blob "$IMG" "$BB_CONFIG")")" ]
  validate_store "$s2"
}

@test "save --format docker-archive of two images that share layers; load restores both" {
  seed
  local tar=$BATS_TEST_TMPDIR/two.tar s2=$BATS_TEST_TMPDIR/store2 m
  img_ok save --format docker-archive "$BB" "$EXTRA" -o "$tar"
  m=$(tar -xOf "$tar" manifest.json)
  [ "$(jq -c '[.[].RepoTags[]] | sort' <<<"$m")" = "$(jq -cn --arg a "$BB" --arg b "$EXTRA" '[$a, $b] | sort')" ]
  # The two shared layers are in the archive once.
  [ "$(jq -r '[.[].Layers[]] | unique | length' <<<"$m")" -eq 3 ]
  [ "$(tar -tf "$tar" | sort | uniq -d | wc -l)" -eq 0 ]
  run timeout 30 skopeo inspect "docker-archive:$tar:$EXTRA"
  [ "$status" -eq 0 ]
  STORE=$s2 img_ok load -i "$tar"
  [ "${#lines[@]}" -eq 2 ]
  [ "$(store_names "$s2")" = "$(printf '%s\n' "$BB" "$EXTRA" | sort)" ]
  STORE=$s2 img_ok inspect "$EXTRA" --format .id
  [ "$output" = "$EXTRA_CONFIG" ]
  validate_store "$s2"
}

@test "load reads archives written by skopeo (docker-archive and oci-archive)" {
  local d=$BATS_TEST_TMPDIR/skopeo-docker.tar o=$BATS_TEST_TMPDIR/skopeo-oci.tar
  timeout 60 skopeo copy -q "oci:$IMG:latest" "docker-archive:$d:example.com/skop:v1" 3>&-
  timeout 60 skopeo copy -q "oci:$IMG:extra" "oci-archive:$o:example.com/skop:oci" 3>&-
  img_ok load -i "$d"
  [[ "$output" =~ ^example\.com/skop:v1@sha256:[0-9a-f]{64}$ ]]
  img_ok inspect example.com/skop:v1
  [ "$(jq -c .rootfs.diff_ids <<<"$output")" = "$(jq -c .rootfs.diff_ids "$(layout_blob "$IMG" "$BB_CONFIG")")" ]
  img_ok load -i "$o"
  [ "$output" = "example.com/skop:oci@$EXTRA_DIGEST" ]
  [ "$(entry_digest example.com/skop:oci)" = "$EXTRA_DIGEST" ]
  validate_store
}

@test "load reads gzip- and zstd-compressed archives" {
  seed
  local tar=$BATS_TEST_TMPDIR/bb.tar s2=$BATS_TEST_TMPDIR/store2
  img_ok save "$BB" "$EXTRA" -o "$tar"
  gzip -c "$tar" >"$tar.gz"
  STORE=$s2 img_ok load -i "$tar.gz"
  [ "${#lines[@]}" -eq 2 ]
  [ "$(entry_digest "$EXTRA" "$s2")" = "$EXTRA_DIGEST" ]
  validate_store "$s2"
  if command -v zstd >/dev/null; then
    rm -rf "$s2"
    zstd -q -c "$tar" >"$tar.zst"
    STORE=$s2 img_ok load -i "$tar.zst"
    [ "$(entry_digest "$BB" "$s2")" = "$BB_DIGEST" ]
  fi
}

@test "load of a corrupt blob or a non-archive fails with one error line and adds nothing" {
  seed
  local tar=$BATS_TEST_TMPDIR/bb.tar bad=$BATS_TEST_TMPDIR/bad.tar s2=$BATS_TEST_TMPDIR/store2
  img_ok save "$BB" -o "$tar"
  # Flip a byte in the middle of the big layer, keeping its name and size.
  "$PYTHON" - "$tar" "$bad" "${BB_DIGEST#sha256:}" <<'EOF'
import sys, tarfile, io, json
src, dst, mdig = sys.argv[1:]
with tarfile.open(src) as t, tarfile.open(dst, "w") as o:
    members = t.getmembers()
    man = json.load(t.extractfile("blobs/sha256/" + mdig))
    victim = "blobs/sha256/" + man["layers"][0]["digest"].split(":")[1]
    for m in members:
        data = t.extractfile(m).read() if m.isfile() else None
        if m.name == victim:
            b = bytearray(data); b[len(b) // 2] ^= 0xff; data = bytes(b)
        o.addfile(m, io.BytesIO(data) if data is not None else None)
EOF
  STORE=$s2 run_img load -i "$bad"
  one_error_line
  [ -z "$output" ]
  [ -z "$(store_names "$s2")" ]
  if [ -d "$s2/oci" ]; then check_layout "$s2/oci"; fi
  echo "not a tar" >"$BATS_TEST_TMPDIR/junk"
  STORE=$s2 run_img load -i "$BATS_TEST_TMPDIR/junk"
  one_error_line
  STORE=$s2 run_img load -i "$BATS_TEST_TMPDIR/no-such-file"
  one_error_line
  [ -z "$(store_names "$s2")" ]
}

@test "a hostile archive (../ or absolute entry names) is refused and writes nothing outside" {
  seed
  local tar=$BATS_TEST_TMPDIR/bb.tar s2=$BATS_TEST_TMPDIR/store2 token name evil
  img_ok save "$BB" -o "$tar"
  token=ctr-evil-$$-$RANDOM
  mkdir -p "$BATS_TEST_TMPDIR/cwd/a/b"
  for name in "../$token" "../../../../../../../../../../../../tmp/$token" "/tmp/$token.abs/evil"; do
    evil=$BATS_TEST_TMPDIR/hostile.tar
    # The saved archive plus one entry named $name.
    "$PYTHON" - "$tar" "$evil" "$name" <<'EOF'
import sys, tarfile, io
src, dst, name = sys.argv[1:]
with tarfile.open(src) as t, tarfile.open(dst, "w", format=tarfile.GNU_FORMAT) as o:
    for m in t.getmembers():
        o.addfile(m, t.extractfile(m) if m.isfile() else None)
    data = b"pwned\n"
    m = tarfile.TarInfo(name)
    m.size = len(data)
    o.addfile(m, io.BytesIO(data))
EOF
    (cd "$BATS_TEST_TMPDIR/cwd/a/b" && STORE=$s2 run_img load -i "$evil" && one_error_line) ||
      { echo "entry $name: not refused"; false; }
    [ -z "$(store_names "$s2")" ]
  done
  # Nothing named $token anywhere it could have landed.
  run find "$BATS_TEST_TMPDIR" /tmp /var/tmp "$BATS_RUN_TMPDIR" -name "$token*"
  echo "found: $output"
  [ -z "$output" ]
  [ ! -e "/$token" ] && [ ! -e "/tmp/$token.abs" ]
}

@test "a symlink in an archive never leads a write outside the store" {
  seed
  local tar=$BATS_TEST_TMPDIR/bb.tar s2=$BATS_TEST_TMPDIR/store2 out=$BATS_TEST_TMPDIR/outside
  mkdir -p "$out"
  img_ok save "$BB" -o "$tar"
  # An entry "escape" -> $out, then "escape/evil" and "blobs/sha256/x" through it.
  "$PYTHON" - "$tar" "$BATS_TEST_TMPDIR/hostile.tar" "$out" <<'EOF'
import sys, tarfile, io
src, dst, out = sys.argv[1:]
with tarfile.open(src) as t, tarfile.open(dst, "w", format=tarfile.GNU_FORMAT) as o:
    members = t.getmembers()
    link = tarfile.TarInfo("escape"); link.type = tarfile.SYMTYPE; link.linkname = out
    o.addfile(link)
    for m in members:
        o.addfile(m, t.extractfile(m) if m.isfile() else None)
    data = b"pwned\n"
    m = tarfile.TarInfo("escape/evil"); m.size = len(data)
    o.addfile(m, io.BytesIO(data))
EOF
  STORE=$s2 run_img load -i "$BATS_TEST_TMPDIR/hostile.tar"
  [ "$status" -eq 0 ] || one_error_line
  [ -z "$(ls -A "$out")" ]
  if [ -d "$s2/oci" ]; then check_layout "$s2/oci"; fi
}

@test "save refuses to write an archive to a terminal" {
  command -v script >/dev/null || skip "script (bsdutils) not installed"
  seed
  local cmd
  cmd="$(printf '%q ' "$CTR_IMAGE" --root "$STORE" save "$BB")"
  run timeout 60 script -qec "$cmd" /dev/null </dev/null
  echo "status=$status output=${output:0:500}"
  [ "$status" -ne 0 ] && [ "$status" -ne 124 ]
  [[ "$output" == *"ctr-image: error: "* ]]
  [ "${#output}" -lt 2000 ] # no archive went to the terminal
  # With -o the terminal is no obstacle.
  cmd="$(printf '%q ' "$CTR_IMAGE" --root "$STORE" save "$BB" -o "$BATS_TEST_TMPDIR/t.tar")"
  run timeout 60 script -qec "$cmd" /dev/null </dev/null
  [ "$status" -eq 0 ]
  timeout 30 skopeo inspect "oci-archive:$BATS_TEST_TMPDIR/t.tar" >/dev/null
}

@test "save of a name that is not in the store fails with one error line and writes no file" {
  seed
  run_img save "$BB" "$PLAIN/no-such:latest" -o "$BATS_TEST_TMPDIR/x.tar"
  one_error_line
  [[ "$ERR_LINE" == *"$PLAIN/no-such:latest"* ]]
  [ ! -e "$BATS_TEST_TMPDIR/x.tar" ]
  [ -z "$(find "$BATS_TEST_TMPDIR" -maxdepth 1 -name 'x.tar*')" ]
}

# ---------------------------------------------------------------------------
# search and tags

@test "search lists the registry's repositories; /PREFIX filters them" {
  img_ok search "$PLAIN"
  [ "$(sort <<<"$output")" = "$(printf '%s\n' "$PLAIN"/{busybox,busybox-extra,team/a,team/b} | sort)" ]
  img_ok search "$PLAIN/team"
  [ "$(sort <<<"$output")" = "$(printf '%s\n' "$PLAIN"/team/{a,b})" ]
  img_ok search "$PLAIN/busybox"
  [ "$(sort <<<"$output")" = "$(printf '%s\n' "$PLAIN"/{busybox,busybox-extra})" ]
  img_ok search "$PLAIN/nothing-here"
  [ -z "$output" ]
}

@test "tags lists HOST/REPO:TAG lines that ctr-pull takes" {
  img_ok tags "$PLAIN/busybox"
  [ "$(sort <<<"$output")" = "$(printf '%s\n' "$PLAIN/busybox:latest" "$PLAIN/busybox:v2")" ]
  img_ok tags "$PLAIN/team/a"
  [ "$output" = "$PLAIN/team/a:1" ]
  run_img tags "$PLAIN/no-such-repo"
  one_error_line
  [[ "$ERR_LINE" == *no-such-repo* ]]
  [ -x "$CTR_PULL" ] || skip "ctr-pull not built: $CTR_PULL"
  img tags "$PLAIN/busybox" | timeout 60 xargs "$CTR_PULL" -q --root "$STORE" >/dev/null
  [ "$(store_names)" = "$(printf '%s\n' "$PLAIN/busybox:latest" "$PLAIN/busybox:v2")" ]
}

@test "search and tags take --creds and --cert-dir; without credentials they fail clearly" {
  img_ok search --creds "$AUTH_USER:$AUTH_PASS" "$AUTH"
  [ "$output" = "$AUTH/secret" ]
  img_ok tags --creds "$AUTH_USER:$AUTH_PASS" "$AUTH/secret"
  [ "$output" = "$AUTH/secret:s1" ]
  run_img tags "$AUTH/secret"
  one_error_line
  [[ "${ERR_LINE,,}" == *401* || "${ERR_LINE,,}" == *unauthorized* ]]
  run_img search "$AUTH"
  one_error_line
  img_ok tags --tls-verify=true --cert-dir "$TLS_CERTS" "$TLS/secure"
  [ "$output" = "$TLS/secure:t1" ]
  run_img tags --tls-verify=true "$TLS/secure"
  one_error_line
}

# ---------------------------------------------------------------------------
# The store and the command line

@test "after tag, rm, gc and load the store is an OCI layout that umoci and oci-image-tool accept" {
  command -v oci-image-tool >/dev/null || echo "# oci-image-tool not installed: that part is skipped" >&3
  seed
  validate_store
  run timeout 30 umoci ls --layout "$STORE/oci"
  [ "$status" -eq 0 ]
  [ "$(sort <<<"$output")" = "$(printf '%s\n' "$BB" "$EXTRA" | sort)" ]
  img_ok tag "$EXTRA" "$PLAIN/x:y"
  img_ok rm "$EXTRA"
  img_ok gc
  img save "$BB" | STORE=$STORE img load >/dev/null
  validate_store
  timeout 30 umoci stat --image "$STORE/oci:$PLAIN/x:y" >/dev/null
  if command -v oci-image-tool >/dev/null; then
    timeout 60 oci-image-tool validate --type image --ref "name=$PLAIN/x:y" "$STORE/oci"
  fi
}

@test "10 concurrent tags into one store: every name is kept" {
  seed
  local i pids=() rc fails=0
  for i in $(seq 10); do
    img tag "$BB" "$PLAIN/par:$i" 2>"$BATS_TEST_TMPDIR/err.$i" &
    pids+=($!)
  done
  for i in $(seq 10); do
    rc=0
    wait "${pids[$((i - 1))]}" || rc=$?
    [ $rc -eq 0 ] || { echo "tag $i: status $rc: $(cat "$BATS_TEST_TMPDIR/err.$i")"; fails=$((fails + 1)); }
  done
  [ $fails -eq 0 ]
  [ "$(store_names | wc -l)" -eq 12 ]
  for i in $(seq 10); do
    [ "$(entry_digest "$PLAIN/par:$i")" = "$BB_DIGEST" ]
  done
  validate_store
}

@test "usage errors exit 2" {
  seed
  run_img
  [ "$status" -eq 2 ]
  run_img no-such-command
  [ "$status" -eq 2 ]
  run_img tag only-one
  [ "$status" -eq 2 ]
  run_img inspect
  [ "$status" -eq 2 ]
  run_img ls --no-such-option
  [ "$status" -eq 2 ]
  run_img tag "$BB" "$PLAIN/Bad Name"
  [ "$status" -eq 2 ]
  [ "$(store_names | wc -l)" -eq 2 ]
  run timeout 10 "$CTR_IMAGE" --help
  [ "$status" -eq 0 ]
  [[ "$output" == *inspect* ]]
}
