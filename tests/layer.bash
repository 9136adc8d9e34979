# ctr-layer test infrastructure (bats): the tools' paths, the busybox image
# in a registry of the file's own, a store per test, and a teardown that
# removes every bundle the test made.
#
#   load helpers      # first: common_setup, common_teardown come from it
#   load registry     # then: registry_require, make_busybox_image, ...
#   load layer
#
#   setup_file() {
#     registry_require || return 0
#     layer_setup_file                     # exports IMG and PLAIN
#   }
#   teardown_file() { registry_stop; }
#   setup() { layer_setup "$PLAIN/busybox:latest"; }   # sets STORE
#   teardown() { layer_teardown; }
#
# The tools can be pointed elsewhere with CTR_LAYER, CTR_PULL and CTR_IMAGE.

CTR_LAYER=${CTR_LAYER:-$BATS_TEST_DIRNAME/../_build/image/layer/ctr-layer}
CTR_PULL=${CTR_PULL:-$BATS_TEST_DIRNAME/../_build/registry/ctr-pull}
CTR_IMAGE=${CTR_IMAGE:-$BATS_TEST_DIRNAME/../_build/image/tool/ctr-image}

# layer_setup_file: for setup_file, after registry_require: the busybox
# image (registry.bash's make_busybox_image) as tag latest of the layout
# $IMG, a registry for the file at $PLAIN, and busybox:latest pushed to it.
layer_setup_file() {
  export IMG=$BATS_FILE_TMPDIR/img
  make_busybox_image "$IMG" latest
  registry_start
  export PLAIN=$REG_HOST
  layer_push latest
}

# layer_push TAG...: pushes each TAG of the layout $IMG to $PLAIN/busybox:TAG.
layer_push() {
  local tag
  for tag in "$@"; do
    registry_push_oci "$IMG:$tag" "$PLAIN/busybox:$tag"
  done
}

# layer_setup [REF...]: for setup(): common_setup and registry_setup; skips
# when ctr-layer or ctr-pull is not built. STORE is this test's store, into
# which each REF is pulled.
layer_setup() {
  local ref
  common_setup
  registry_setup
  [ -x "$CTR_LAYER" ] || skip "ctr-layer not built: $CTR_LAYER"
  [ -x "$CTR_PULL" ] || skip "ctr-pull not built: $CTR_PULL"
  STORE=$BATS_TEST_TMPDIR/store
  for ref in "$@"; do
    layer_pull "$ref"
  done
}

# layer_pull REF: pulls REF from a registry into this test's store.
layer_pull() { timeout 60 "$CTR_PULL" -q --root "$STORE" "$1" >/dev/null; }

# bundles_last_first: the test's bundle dirs (b*), in reverse name order: a
# bundle that uses another's volumes (--volumes-from) is named after it in
# these tests, and ctr-layer rm refuses the owner while the user exists.
bundles_last_first() { find "$BATS_TEST_TMPDIR" -maxdepth 1 -name 'b*' -type d | sort -r; }

# layer_teardown: for teardown(): `ctr-layer rm` of each bundle the test
# made ($BATS_TEST_TMPDIR/b*; what is no bundle rm refuses, and that is
# ignored), then registry_teardown and common_teardown.
layer_teardown() {
  local b
  for b in $(bundles_last_first); do
    [ -d "$b" ] && timeout 10 "$CTR_LAYER" --root "$STORE" rm "$b" >/dev/null 2>&1
  done
  registry_teardown
  common_teardown
}

# layer_in STORE ARGS...: ctr-layer ARGS with that store, killed after 60
# seconds; fd 3 (bats' output channel) is closed so it can never hang bats.
layer_in() {
  local store=$1
  shift
  timeout -k 5 60 "$CTR_LAYER" --root "$store" "$@" 3>&-
}

# layer ARGS...: ctr-layer ARGS with this test's store.
layer() { layer_in "$STORE" "$@"; }
