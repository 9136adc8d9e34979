#!/usr/bin/env bats
# ctr-push against real docker-registry instances on 127.0.0.1: pushing an
# image that ctr-pull put in the store (or one from an OCI layout, --src) to
# another repository of the same registry (blobs mounted), to a second
# registry (blobs uploaded, monolithically or in chunks), twice (nothing
# uploaded again), with basic auth and with TLS. What reached the registry is
# read back with skopeo and checked with sha256sum; which requests ctr-push
# made is read from the registry's access log.

load helpers
load registry

CTR_PULL=${CTR_PULL:-$BATS_TEST_DIRNAME/../_build/registry/ctr-pull}
CTR_PUSH=${CTR_PUSH:-$BATS_TEST_DIRNAME/../_build/registry/ctr-push}
PUSH_TIMEOUT=${PUSH_TIMEOUT:-60}

setup_file() {
  registry_require || return 0
  export IMG=$BATS_FILE_TMPDIR/img
  # latest: 2 layers; extra: latest + 1 layer.
  make_busybox_image "$IMG" latest
  add_layer_image "$IMG" latest extra /etc/extra "a third layer"
  # other: latest + 1 layer for another architecture; multi: an index of
  # latest and other.
  add_layer_image "$IMG" latest other /etc/arch "$(other_arch)" "$(other_arch)"
  make_index "$IMG" multi latest other

  registry_start
  export PLAIN=$REG_HOST PLAIN_LOG=$REG_LOG
  registry_push_oci "$IMG:latest" "$PLAIN/busybox:latest"
  registry_push_oci "$IMG:extra" "$PLAIN/busybox-extra:latest"
  registry_push_oci "$IMG:multi" "$PLAIN/busybox-multi:latest"

  # A second, empty registry: nothing can be mounted there.
  registry_start
  export SECOND=$REG_HOST SECOND_LOG=$REG_LOG

  registry_start --auth
  export AUTH=$REG_HOST AUTH_LOG=$REG_LOG AUTH_USER=$REG_USER AUTH_PASS=$REG_PASS

  registry_start --tls
  export TLS=$REG_HOST TLS_LOG=$REG_LOG TLS_CERTS=$REG_CERTS

  local blobs
  mapfile -t blobs < <(manifest_blobs "$IMG" "$(layout_digest "$IMG" latest)")
  export BB_CONFIG=${blobs[0]} BB_LAYER=${blobs[1]} BB_HELLO=${blobs[2]}
  export BB_DIGEST EXTRA_DIGEST
  BB_DIGEST=$(layout_digest "$IMG" latest)
  EXTRA_DIGEST=$(layout_digest "$IMG" extra)
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
  [ -x "$CTR_PUSH" ] || skip "ctr-push not built: $CTR_PUSH"
  # A repository name of this test's own on the shared registries.
  REPO=t$BATS_TEST_NUMBER
}

teardown() { registry_teardown; }

# pull ARGS...: ctr-pull into this test's store (how images get there).
pull() {
  [ -x "$CTR_PULL" ] || skip "ctr-pull not built: $CTR_PULL"
  timeout -k 5 "$PUSH_TIMEOUT" "$CTR_PULL" -q --root "$STORE" "$@" 3>&- ||
    { echo "ctr-pull $* failed" >&2; return 1; }
}

# push ARGS...: ctr-push with this test's store, bounded in time.
push() { timeout -k 5 "$PUSH_TIMEOUT" "$CTR_PUSH" --root "$STORE" "$@" 3>&-; }

# run_push ARGS...: run push, stdout in $output and stderr in $stderr.
run_push() { run_tool ctr-push push "$@"; }

push_ok() {
  run_push "$@"
  [ "$status" -eq 0 ]
}

one_error_line() { one_error_line_of ctr-push; }

# log_mark LOG: the number of lines LOG has now (to read what comes after).
log_mark() { wc -l <"$1"; }

# requests LOG MARK: the requests ctr made to a registry since MARK, from
# its access log, one "METHOD URI STATUS" a line.
requests() {
  tail -n +"$(($2 + 1))" "$1" |
    grep -E '"ctr[^"]*"$' |
    sed -nE 's/^.*"(GET|HEAD|POST|PUT|PATCH|DELETE) ([^ ]+) HTTP\/[0-9.]+" ([0-9]{3}) .*$/\1 \2 \3/p'
}

# count PATTERN TEXT: how many lines of TEXT match the extended regex PATTERN.
count() { grep -cE -- "$1" <<<"$2" || true; }

# dre DIGEST: a regex for DIGEST in a URL, its ':' escaped (%3A) or not.
dre() { echo "${1%%:*}(:|%3A|%3a)${1#*:}"; }

# blob_uploads REQS: the requests that send blob data (PATCH or PUT on an
# upload session).
blob_uploads() { grep -E '^(PATCH|PUT) /v2/.*/blobs/uploads/' <<<"$1" || true; }

# copy_back REF DIR [SKOPEO-OPTIONS...]: skopeo copies docker://REF to
# oci:DIR:back; checks every blob there hashes to its name and sets
# BACK_DIGEST, BACK_LAYERS and BACK_CONFIG.
copy_back() {
  local ref=$1 dir=$2 f
  shift 2
  timeout 60 skopeo copy -q "$@" "docker://$ref" "oci:$dir:back" 3>&- ||
    { echo "copy_back: skopeo copy docker://$ref failed"; return 1; }
  for f in "$dir"/blobs/sha256/*; do
    [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "${f##*/}" ] ||
      { echo "copy_back: $f does not hash to its name"; return 1; }
  done
  BACK_DIGEST=$(layout_digest "$dir" back)
  BACK_CONFIG=$(jq -r .config.digest "$(layout_blob "$dir" "$BACK_DIGEST")")
  BACK_LAYERS=$(jq -r '[.layers[].digest] | join(" ")' "$(layout_blob "$dir" "$BACK_DIGEST")")
}

# skopeo_layers REF [SKOPEO-OPTIONS...]: the layers skopeo sees at docker://REF.
skopeo_layers() {
  local ref=$1
  shift
  timeout 30 skopeo inspect "$@" "docker://$ref" 3>&- | jq -r '.Layers | join(" ")'
}

# ---------------------------------------------------------------------------
# Where the blobs come from

@test "push to another repository of the same registry mounts the blobs and uploads none" {
  pull "$PLAIN/busybox:latest"
  local mark reqs
  mark=$(log_mark "$PLAIN_LOG")
  push_ok "$PLAIN/busybox:latest" "$PLAIN/$REPO/copy:v1"
  [ "$output" = "$PLAIN/$REPO/copy:v1@$BB_DIGEST" ]
  [ "${#lines[@]}" -eq 1 ]
  [ -z "$stderr" ] # no progress bars without a terminal
  [ "$(skopeo_layers "$PLAIN/$REPO/copy:v1" --tls-verify=false)" = "$BB_LAYER $BB_HELLO" ]
  [ "$(registry_digest "$PLAIN/$REPO/copy:v1")" = "$BB_DIGEST" ]
  reqs=$(requests "$PLAIN_LOG" "$mark")
  echo "requests:"; echo "$reqs"
  # Each layer (and the config) was mounted from busybox: a POST with
  # mount= and from=busybox that the registry answered 201 Created.
  local d
  for d in "$BB_LAYER" "$BB_HELLO" "$BB_CONFIG"; do
    [ "$(count "^POST /v2/$REPO/copy/blobs/uploads/\?.*mount=$(dre "$d").* 201$" "$reqs")" -eq 1 ]
  done
  [ "$(count '^POST .*from=busybox(&| |$)' "$reqs")" -ge 3 ]
  # Nothing was uploaded.
  [ -z "$(blob_uploads "$reqs")" ]
  [ "$(count "^PUT /v2/$REPO/copy/manifests/v1 201$" "$reqs")" -eq 1 ]
}

@test "a blob the registry does not mount is uploaded instead" {
  pull "$PLAIN/busybox:latest"
  # Rename the store's image (its index.json annotation) to a repository
  # that the registry does not have: the mount from it fails (202, an
  # upload session) and ctr-push must send the blobs after all.
  jq --arg n "$PLAIN/ghost-$REPO:latest" \
    '.manifests[0].annotations["org.opencontainers.image.ref.name"] = $n' \
    "$STORE/oci/index.json" >"$STORE/oci/index.json.tmp"
  mv "$STORE/oci/index.json.tmp" "$STORE/oci/index.json"
  local mark reqs back=$BATS_TEST_TMPDIR/back d
  mark=$(log_mark "$PLAIN_LOG")
  push_ok "$PLAIN/ghost-$REPO:latest" "$PLAIN/$REPO/fallback:v1"
  [ "$output" = "$PLAIN/$REPO/fallback:v1@$BB_DIGEST" ]
  reqs=$(requests "$PLAIN_LOG" "$mark")
  echo "requests:"; echo "$reqs"
  [ "$(count "^POST /v2/$REPO/fallback/blobs/uploads/\?.*mount=.*from=ghost-$REPO.* 202$" "$reqs")" -ge 1 ]
  for d in "$BB_CONFIG" "$BB_LAYER" "$BB_HELLO"; do
    [ "$(count "^PUT /v2/$REPO/fallback/blobs/uploads/.*digest=$(dre "$d").* 201$" "$reqs")" -eq 1 ]
  done
  copy_back "$PLAIN/$REPO/fallback:v1" "$back" --src-tls-verify=false
  [ "$BACK_DIGEST" = "$BB_DIGEST" ]
  [ "$BACK_LAYERS" = "$BB_LAYER $BB_HELLO" ]
}

@test "push to a second registry uploads every blob; skopeo copies the image back intact" {
  pull "$PLAIN/busybox:latest"
  local mark reqs back=$BATS_TEST_TMPDIR/back d
  mark=$(log_mark "$SECOND_LOG")
  push_ok "$PLAIN/busybox:latest" "$SECOND/$REPO/busybox:latest"
  [ "$output" = "$SECOND/$REPO/busybox:latest@$BB_DIGEST" ]
  reqs=$(requests "$SECOND_LOG" "$mark")
  echo "requests:"; echo "$reqs"
  # Nothing to mount from on this registry: each blob is uploaded and
  # committed with its digest (PUT ...?digest=, 201).
  [ "$(count 'mount=' "$reqs")" -eq 0 ]
  for d in "$BB_CONFIG" "$BB_LAYER" "$BB_HELLO"; do
    [ "$(count "^PUT /v2/$REPO/busybox/blobs/uploads/.*digest=$(dre "$d").* 201$" "$reqs")" -eq 1 ]
  done
  [ "$(count "^PUT /v2/$REPO/busybox/manifests/latest 201$" "$reqs")" -eq 1 ]
  # The manifest PUT comes after the last blob.
  [ "$(tail -1 <<<"$reqs")" = "PUT /v2/$REPO/busybox/manifests/latest 201" ]

  copy_back "$SECOND/$REPO/busybox:latest" "$back" --src-tls-verify=false
  [ "$BACK_DIGEST" = "$BB_DIGEST" ]
  [ "$BACK_CONFIG" = "$BB_CONFIG" ]
  [ "$BACK_LAYERS" = "$BB_LAYER $BB_HELLO" ]
  cmp "$(layout_blob "$back" "$BB_LAYER")" "$(layout_blob "$IMG" "$BB_LAYER")"
}

@test "pushing the same image twice uploads nothing the second time" {
  pull "$PLAIN/busybox-extra:latest"
  push_ok "$PLAIN/busybox-extra:latest" "$SECOND/$REPO/twice:1"
  local first=$output mark reqs other
  mark=$(log_mark "$SECOND_LOG")
  push_ok "$PLAIN/busybox-extra:latest" "$SECOND/$REPO/twice:1"
  [ "$output" = "$first" ]
  [ "$output" = "$SECOND/$REPO/twice:1@$EXTRA_DIGEST" ]
  reqs=$(requests "$SECOND_LOG" "$mark")
  echo "requests:"; echo "$reqs"
  # Only HEADs (answered 200: the registry has the blob), the /v2/ ping
  # and the manifest PUT.
  [ "$(count '^HEAD /v2/.*/blobs/sha256:[0-9a-f]{64} 200$' "$reqs")" -eq 4 ] # config + 3 layers
  other=$(grep -vE '^HEAD |^GET /v2/ |^PUT /v2/[^ ]*/manifests/1 201$' <<<"$reqs" || true)
  [ -z "$other" ]
  [ "$(count '^PUT /v2/.*/manifests/1 201$' "$reqs")" -eq 1 ]
}

@test "DEST defaults to NAME: pushing an image back where it came from sends no blob" {
  pull "$PLAIN/busybox:latest"
  local mark reqs
  mark=$(log_mark "$PLAIN_LOG")
  push_ok "$PLAIN/busybox:latest"
  [ "$output" = "$PLAIN/busybox:latest@$BB_DIGEST" ]
  reqs=$(requests "$PLAIN_LOG" "$mark")
  echo "requests:"; echo "$reqs"
  [ "$(count '^PUT /v2/busybox/manifests/latest 201$' "$reqs")" -eq 1 ]
  [ "$(count '^(POST|PATCH)' "$reqs")" -eq 0 ]
  [ -z "$(blob_uploads "$reqs")" ]
}

@test "--chunk-size 50000 uploads in PATCH chunks, then PUT; the image is intact" {
  pull "$PLAIN/busybox:latest"
  local mark reqs back=$BATS_TEST_TMPDIR/back size patches
  size=$(stat -c %s "$(layout_blob "$IMG" "$BB_LAYER")")
  [ "$size" -gt 500000 ] # the busybox layer needs many chunks
  mark=$(log_mark "$SECOND_LOG")
  push_ok --chunk-size 50000 "$PLAIN/busybox:latest" "$SECOND/$REPO/chunked:latest"
  [ "$output" = "$SECOND/$REPO/chunked:latest@$BB_DIGEST" ]
  reqs=$(requests "$SECOND_LOG" "$mark")
  echo "requests:"; grep -v '^PATCH' <<<"$reqs" || true
  patches=$(count "^PATCH /v2/$REPO/chunked/blobs/uploads/[^ ]* 202$" "$reqs")
  echo "PATCH requests: $patches"
  # At least size/50000 chunks for the big layer alone.
  [ "$patches" -ge $((size / 50000)) ]
  # Every upload is committed by a PUT with its digest.
  local d
  for d in "$BB_CONFIG" "$BB_LAYER" "$BB_HELLO"; do
    [ "$(count "^PUT /v2/$REPO/chunked/blobs/uploads/.*digest=$(dre "$d").* 201$" "$reqs")" -eq 1 ]
  done
  copy_back "$SECOND/$REPO/chunked:latest" "$back" --src-tls-verify=false
  [ "$BACK_DIGEST" = "$BB_DIGEST" ]
  [ "$BACK_LAYERS" = "$BB_LAYER $BB_HELLO" ]
  [ "$(stat -c %s "$(layout_blob "$back" "$BB_LAYER")")" -eq "$size" ]
}

# ---------------------------------------------------------------------------
# References

@test "NAME may be the line ctr-pull printed (REF@sha256:DIGEST)" {
  [ -x "$CTR_PULL" ] || skip "ctr-pull not built: $CTR_PULL"
  local line
  line=$(timeout 60 "$CTR_PULL" -q --root "$STORE" "$PLAIN/busybox-extra:latest" 3>&-)
  [ "$line" = "$PLAIN/busybox-extra:latest@$EXTRA_DIGEST" ]
  push_ok "$line" "$SECOND/$REPO/byline:v1"
  [ "$output" = "$SECOND/$REPO/byline:v1@$EXTRA_DIGEST" ]
  [ "$(registry_digest "$SECOND/$REPO/byline:v1")" = "$EXTRA_DIGEST" ]
  # As in the man page's pipeline.
  timeout 60 "$CTR_PULL" -q --root "$STORE" "$PLAIN/busybox-extra:latest" 3>&- |
    timeout 60 xargs -I{} "$CTR_PUSH" --root "$STORE" {} "$SECOND/$REPO/byline:v2" >"$BATS_TEST_TMPDIR/out" 3>&-
  [ "$(cat "$BATS_TEST_TMPDIR/out")" = "$SECOND/$REPO/byline:v2@$EXTRA_DIGEST" ]
}

@test "DEST is printed normalised: no tag means :latest" {
  pull "$PLAIN/busybox:latest"
  push_ok "$PLAIN/busybox:latest" "$SECOND/$REPO/norm"
  [ "$output" = "$SECOND/$REPO/norm:latest@$BB_DIGEST" ]
  [ "$(registry_digest "$SECOND/$REPO/norm:latest")" = "$BB_DIGEST" ]
}

@test "a NAME that is not in the store fails with one error line and pushes nothing" {
  pull "$PLAIN/busybox:latest"
  local mark
  mark=$(log_mark "$SECOND_LOG")
  run_push "$PLAIN/no-such-image:latest" "$SECOND/$REPO/none:latest"
  one_error_line
  [[ "$ERR_LINE" == *"$PLAIN/no-such-image:latest"* ]]
  [ -z "$output" ]
  [ -z "$(requests "$SECOND_LOG" "$mark" | grep -E '^(POST|PUT|PATCH)')" ]
  run registry_manifest "$SECOND/$REPO/none:latest"
  [ "$status" -ne 0 ]
  # An empty store (no oci/ at all) fails the same way.
  STORE=$BATS_TEST_TMPDIR/empty
  run_push "$PLAIN/busybox:latest" "$SECOND/$REPO/none:latest"
  one_error_line
}

@test "usage errors exit 2" {
  run_push
  [ "$status" -eq 2 ]
  run_push --no-such-option "$PLAIN/busybox"
  [ "$status" -eq 2 ]
  run_push --chunk-size
  [ "$status" -eq 2 ]
  run_push "$PLAIN/busybox:latest" "$SECOND/Bad Name:x"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"ctr-push: error: "* ]]
  run timeout 10 "$CTR_PUSH" --help
  [ "$status" -eq 0 ]
  [[ "$output" == *--chunk-size* ]]
}

# ---------------------------------------------------------------------------
# --src oci:DIR[:TAG]

@test "--src oci:DIR:TAG pushes an image from an OCI layout" {
  local back=$BATS_TEST_TMPDIR/back
  push_ok --src "oci:$IMG:extra" "$SECOND/$REPO/src:v1"
  [ "$output" = "$SECOND/$REPO/src:v1@$EXTRA_DIGEST" ]
  [ ! -e "$STORE/oci/index.json" ] # the store plays no part
  copy_back "$SECOND/$REPO/src:v1" "$back" --src-tls-verify=false
  [ "$BACK_DIGEST" = "$EXTRA_DIGEST" ]
  [ "$BACK_LAYERS" = "$(manifest_blobs "$IMG" "$EXTRA_DIGEST" | tail -n +2 | paste -sd' ')" ]
}

@test "--src oci:DIR without TAG: the layout's only image; several images is an error" {
  local one=$BATS_TEST_TMPDIR/one
  cp -a "$IMG" "$one"
  jq '.manifests |= map(select(.annotations["org.opencontainers.image.ref.name"] == "latest"))' \
    "$IMG/index.json" >"$one/index.json"
  push_ok --src "oci:$one" "$SECOND/$REPO/only:v1"
  [ "$output" = "$SECOND/$REPO/only:v1@$BB_DIGEST" ]
  [ "$(skopeo_layers "$SECOND/$REPO/only:v1" --tls-verify=false)" = "$BB_LAYER $BB_HELLO" ]
  run_push --src "oci:$IMG" "$SECOND/$REPO/only:v2"
  one_error_line
  run registry_manifest "$SECOND/$REPO/only:v2"
  [ "$status" -ne 0 ]
  run_push --src "oci:$IMG:no-such-tag" "$SECOND/$REPO/only:v3"
  one_error_line
  [[ "$ERR_LINE" == *no-such-tag* ]]
}

# ---------------------------------------------------------------------------
# Authentication and TLS

@test "auth: --creds pushes; without credentials the push fails with one error line" {
  pull "$PLAIN/busybox:latest"
  run_push "$PLAIN/busybox:latest" "$AUTH/$REPO/busybox:latest"
  one_error_line
  [[ "${ERR_LINE,,}" == *401* || "${ERR_LINE,,}" == *unauthorized* ]]
  [ -z "$output" ]
  run registry_manifest "$AUTH/$REPO/busybox:latest" --creds "$AUTH_USER:$AUTH_PASS"
  [ "$status" -ne 0 ]

  run_push --creds "$AUTH_USER:wrong" "$PLAIN/busybox:latest" "$AUTH/$REPO/busybox:latest"
  one_error_line
  [[ "$stderr" != *"$AUTH_USER:wrong"* ]]

  push_ok --creds "$AUTH_USER:$AUTH_PASS" "$PLAIN/busybox:latest" "$AUTH/$REPO/busybox:latest"
  [ "$output" = "$AUTH/$REPO/busybox:latest@$BB_DIGEST" ]
  [ "$(skopeo_layers "$AUTH/$REPO/busybox:latest" --tls-verify=false --creds "$AUTH_USER:$AUTH_PASS")" = \
    "$BB_LAYER $BB_HELLO" ]
}

@test "auth: --authfile" {
  pull "$PLAIN/busybox:latest"
  jq -n --arg h "$AUTH" --arg a "$(printf '%s' "$AUTH_USER:$AUTH_PASS" | base64 -w0)" \
    '{auths: {($h): {auth: $a}}}' >"$BATS_TEST_TMPDIR/auth.json"
  push_ok --authfile "$BATS_TEST_TMPDIR/auth.json" "$PLAIN/busybox:latest" "$AUTH/$REPO/bb:af"
  [ "$output" = "$AUTH/$REPO/bb:af@$BB_DIGEST" ]
  [ "$(registry_digest "$AUTH/$REPO/bb:af" --creds "$AUTH_USER:$AUTH_PASS")" = "$BB_DIGEST" ]
}

@test "tls: --cert-dir with the registry's CA (and --tls-verify=true: no plain-HTTP fallback)" {
  pull "$PLAIN/busybox:latest"
  push_ok --tls-verify=true --cert-dir "$TLS_CERTS" "$PLAIN/busybox:latest" "$TLS/$REPO/busybox:latest"
  [ "$output" = "$TLS/$REPO/busybox:latest@$BB_DIGEST" ]
  [ "$(skopeo_layers "$TLS/$REPO/busybox:latest" --cert-dir "$TLS_CERTS")" = "$BB_LAYER $BB_HELLO" ]
  [ "$(registry_digest "$TLS/$REPO/busybox:latest" --tls)" = "$BB_DIGEST" ]
}

@test "tls: --tls-verify=true without the CA fails on the certificate" {
  pull "$PLAIN/busybox:latest"
  run_push --tls-verify=true "$PLAIN/busybox:latest" "$TLS/$REPO/busybox:latest"
  one_error_line
  [[ "${ERR_LINE,,}" == *certificate* || "${ERR_LINE,,}" == *ssl* || "${ERR_LINE,,}" == *tls* ]]
  [ -z "$output" ]
  run registry_manifest "$TLS/$REPO/busybox:latest" --tls
  [ "$status" -ne 0 ]
}

# ---------------------------------------------------------------------------
# Indexes

@test "an index: every manifest first, the index last; skopeo reads both platforms back" {
  local index mark reqs d n last first_index
  index=$(layout_digest "$IMG" multi)
  mark=$(log_mark "$SECOND_LOG")
  push_ok --src "oci:$IMG:multi" "$SECOND/$REPO/multi:v1"
  [ "$output" = "$SECOND/$REPO/multi:v1@$index" ]
  reqs=$(requests "$SECOND_LOG" "$mark")
  echo "requests:"; echo "$reqs"
  first_index=$(grep -nE "^PUT /v2/$REPO/multi/manifests/v1 201$" <<<"$reqs" | cut -d: -f1)
  [ -n "$first_index" ]
  for d in $(jq -r '.manifests[].digest' "$(layout_blob "$IMG" "$index")"); do
    n=$(grep -nE "^PUT /v2/$REPO/multi/manifests/$(dre "$d") 201$" <<<"$reqs" | cut -d: -f1)
    [ -n "$n" ] || { echo "manifest $d was not pushed by digest"; false; }
    [ "$n" -lt "$first_index" ]
  done
  last=$(grep -E '^(PUT|POST|PATCH)' <<<"$reqs" | tail -1)
  [ "$last" = "PUT /v2/$REPO/multi/manifests/v1 201" ]
  [ "$(registry_digest "$SECOND/$REPO/multi:v1")" = "$index" ]
  run timeout 30 skopeo inspect --tls-verify=false --override-arch "$(other_arch)" "docker://$SECOND/$REPO/multi:v1"
  [ "$status" -eq 0 ]
  [ "$(jq -r .Architecture <<<"$output")" = "$(other_arch)" ]
  run timeout 30 skopeo inspect --tls-verify=false --override-arch "$(go_arch)" "docker://$SECOND/$REPO/multi:v1"
  [ "$(jq -r '.Layers | join(" ")' <<<"$output")" = "$BB_LAYER $BB_HELLO" ]
}

@test "an index pulled for one platform: the push either fails cleanly or leaves a readable image" {
  # ctr-pull keeps the index and only the host's manifest; the other
  # platform's manifest is not in the store.
  pull "$PLAIN/busybox-multi:latest"
  run_push "$PLAIN/busybox-multi:latest" "$SECOND/$REPO/partial:v1"
  if [ "$status" -eq 0 ]; then
    run timeout 30 skopeo inspect --tls-verify=false --override-arch "$(go_arch)" "docker://$SECOND/$REPO/partial:v1"
    [ "$status" -eq 0 ]
    [ "$(jq -r '.Layers | join(" ")' <<<"$output")" = "$BB_LAYER $BB_HELLO" ]
  else
    one_error_line
    [ -z "$output" ]
    run registry_manifest "$SECOND/$REPO/partial:v1"
    [ "$status" -ne 0 ]
  fi
}
