#!/usr/bin/env bats
# Registry authentication beyond --creds against htpasswd: the bearer token
# flow as Docker Hub runs it (docker-registry with token auth and
# tools/token_server.py, a token service that signs RS256 JWTs with an x5c
# chain), credential helpers named by ~/.docker/config.json (credHelpers,
# credsStore), and registries.conf's insecure registries. Results are
# cross-checked with skopeo and curl; what the token service was asked is
# read from its log. The "infra:" tests check the test infrastructure itself
# and run without ctr.
#
# registries.conf: every test address is 127.0.0.1, which ctr treats as
# insecure (plain HTTP allowed) by name. To see registries.conf at work the
# plain registry is also reached as 2130706433:PORT, the decimal spelling of
# 127.0.0.1: the same socket, a name that is not loopback by ctr's rules.

load helpers
load registry

CTR_PULL=${CTR_PULL:-$BATS_TEST_DIRNAME/../_build/registry/ctr-pull}
CTR_PUSH=${CTR_PUSH:-$BATS_TEST_DIRNAME/../_build/registry/ctr-push}
CTR_IMAGE=${CTR_IMAGE:-$BATS_TEST_DIRNAME/../_build/image/tool/ctr-image}
AUTH_TIMEOUT=${AUTH_TIMEOUT:-60}
OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json

setup_file() {
  registry_require || return 0
  export IMG=$BATS_FILE_TMPDIR/img BB_DIGEST
  make_busybox_image "$IMG" latest
  BB_DIGEST=$(layout_digest "$IMG" latest)

  # PRIV: token auth; the token service gives anonymous clients nothing.
  token_server_start
  export PRIV_REALM=$TOKEN_REALM PRIV_TOKEN_LOG=$TOKEN_LOG PRIV_USER=$TOKEN_USER PRIV_PASS=$TOKEN_PASS
  registry_start_token
  export PRIV=$REG_HOST PRIV_LOG=$REG_LOG
  registry_push_oci "$IMG:latest" "$PRIV/busybox:latest" --creds "$PRIV_USER:$PRIV_PASS"

  # ANON: token auth; anonymous clients may pull.
  token_server_start --anonymous-pull
  export ANON_REALM=$TOKEN_REALM ANON_TOKEN_LOG=$TOKEN_LOG ANON_USER=$TOKEN_USER ANON_PASS=$TOKEN_PASS
  registry_start_token
  export ANON=$REG_HOST
  registry_push_oci "$IMG:latest" "$ANON/busybox:latest" --creds "$ANON_USER:$ANON_PASS"

  # BASIC: htpasswd (for the credential helpers).
  registry_start --auth
  export BASIC=$REG_HOST BASIC_USER=$REG_USER BASIC_PASS=$REG_PASS
  registry_push_oci "$IMG:latest" "$BASIC/busybox:latest" --creds "$BASIC_USER:$BASIC_PASS"

  # PLAIN: no auth; DEC is the same registry by a name that is not loopback.
  registry_start
  export PLAIN=$REG_HOST DEC=2130706433:${REG_HOST##*:}
  registry_push_oci "$IMG:latest" "$PLAIN/busybox:latest"
}

teardown_file() {
  registry_stop
  token_server_stop
}

setup() {
  registry_setup
  STORE=$BATS_TEST_TMPDIR/store
  unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
  # No credentials, certificates, registries.conf or store from the machine
  # running the tests.
  export HOME=$BATS_TEST_TMPDIR/home XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/run
  mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
  unset REGISTRY_AUTH_FILE CTR_ROOT DOCKER_CONFIG
  export CONTAINERS_REGISTRIES_CONF=$BATS_TEST_TMPDIR/registries.conf
  : >"$CONTAINERS_REGISTRIES_CONF"
  case $BATS_TEST_DESCRIPTION in
    infra:*) ;;
    *) [ -x "$CTR_PULL" ] || skip "ctr-pull not built: $CTR_PULL" ;;
  esac
}

teardown() {
  [ "${BATS_TEST_COMPLETED:-}" = 1 ] || token_print_logs
  token_server_stop
  registry_teardown
}

# pull ARGS...: ctr-pull with this test's store, bounded in time.
pull() { timeout -k 5 "$AUTH_TIMEOUT" "$CTR_PULL" --root "$STORE" "$@" 3>&-; }

# run_pull ARGS...: run pull, keeping stdout in $output and stderr in $stderr.
run_pull() {
  run --separate-stderr pull "$@"
  echo "ctr-pull $* -> status=$status"
  echo "stdout: $output"
  echo "stderr: $stderr"
}

pull_ok() {
  run_pull "$@"
  [ "$status" -eq 0 ]
}

# push ARGS... / run_push / push_ok: the same for ctr-push.
push() { timeout -k 5 "$AUTH_TIMEOUT" "$CTR_PUSH" --root "$STORE" "$@" 3>&-; }

run_push() {
  [ -x "$CTR_PUSH" ] || skip "ctr-push not built: $CTR_PUSH"
  run --separate-stderr push "$@"
  echo "ctr-push $* -> status=$status"
  echo "stdout: $output"
  echo "stderr: $stderr"
}

push_ok() {
  run_push "$@"
  [ "$status" -eq 0 ]
}

# img ARGS... / run_img / img_ok: the same for ctr-image.
img() { timeout -k 5 "$AUTH_TIMEOUT" "$CTR_IMAGE" --root "$STORE" "$@" 3>&-; }

run_img() {
  [ -x "$CTR_IMAGE" ] || skip "ctr-image not built: $CTR_IMAGE"
  run --separate-stderr img "$@"
  echo "ctr-image $* -> status=$status"
  echo "stdout: $output"
  echo "stderr: $stderr"
}

img_ok() {
  run_img "$@"
  [ "$status" -eq 0 ]
}

# store_names: the names in the store's index.json.
store_names() {
  [ -f "$STORE/oci/index.json" ] || return 0
  jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"] // empty' "$STORE/oci/index.json"
}

# check_pulled NAME: the store is a sound layout holding NAME as the test
# image (its digest), with the manifest's config and layers.
check_pulled() {
  local d b
  check_layout "$STORE/oci" || return
  d=$(layout_digest "$STORE/oci" "$1") || { echo "check_pulled: no single entry $1"; return 1; }
  [ "$d" = "$BB_DIGEST" ] || { echo "check_pulled: $1 is $d, not $BB_DIGEST"; return 1; }
  for b in $(manifest_blobs "$STORE/oci" "$d"); do
    [ -f "$(layout_blob "$STORE/oci" "$b")" ] || { echo "check_pulled: blob $b missing"; return 1; }
  done
}

# mark LOG: how many lines LOG has now (token_requests LOG MARK reads the rest).
mark() { wc -l <"$1"; }

# jqe FILTER JSON: jq -e, showing JSON when FILTER does not hold.
jqe() {
  jq -e "$1" <<<"$2" >/dev/null || { echo "does not hold: $1"; echo "in: $2"; return 1; }
}

# token_for REALM SCOPE [CURL-OPTIONS...]: a token from the token service.
token_for() {
  local realm=$1 scope=$2
  shift 2
  timeout 10 curl -fsS -G "$@" --data-urlencode "service=ctr-test-registry" \
    --data-urlencode "scope=$scope" "$realm" | jq -er .token
}

# http_code URL [CURL-OPTIONS...]: the status curl gets for a GET of URL.
http_code() {
  local url=$1
  shift
  timeout 10 curl -s -o /dev/null -w '%{http_code}' "$@" "$url"
}

# make_cred_helper NAME SERVER USER PASS: a fake docker-credential-NAME in
# $BATS_TEST_TMPDIR/bin (which setup_helper_path puts first in PATH) that
# speaks the docker-credential-helpers protocol for `get`: it reads the
# server on stdin, appends "ACTION SERVER" to $HELPER_LOG, and prints
# {"ServerURL","Username","Secret"} for SERVER; for any other server it
# says "credentials not found in native keychain" and exits 1, as the real
# helpers do.
make_cred_helper() {
  local name=$1 server=$2 user=$3 pass=$4 bin=$BATS_TEST_TMPDIR/bin
  HELPER_LOG=$BATS_TEST_TMPDIR/helper.log
  mkdir -p "$bin"
  cat >"$bin/docker-credential-$name" <<EOF
#!/bin/sh
server=
IFS= read -r server || true # the server may come without a final newline
echo "\$1 \$server" >>'$HELPER_LOG'
if [ "\$1" = get ] && [ "\$server" = '$server' ]; then
  printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}\n' '$server' '$user' '$pass'
  exit 0
fi
echo "credentials not found in native keychain"
exit 1
EOF
  chmod +x "$bin/docker-credential-$name"
  export PATH=$bin:$PATH
}

# docker_config JSON: writes $HOME/.docker/config.json.
docker_config() {
  mkdir -p "$HOME/.docker"
  jq . <<<"$1" >"$HOME/.docker/config.json"
}

# ---------------------------------------------------------------------------
# The infrastructure itself

@test "infra: the token registry challenges with Bearer and serves what the token service grants" {
  local hdr tok
  hdr=$(timeout 10 curl -s -D - -o /dev/null "http://$PRIV/v2/" | tr -d '\r')
  grep -q '^HTTP/1.1 401' <<<"$hdr"
  grep -qiF "www-authenticate: Bearer realm=\"$PRIV_REALM\",service=\"ctr-test-registry\"" <<<"$hdr"

  # A token for the right credentials: RS256, with the signer's chain.
  tok=$(token_for "$PRIV_REALM" repository:busybox:pull -u "$PRIV_USER:$PRIV_PASS")
  jqe '.alg == "RS256" and (.x5c | length) == 1' "$(jwt_part "$tok" 0)"
  jqe '.iss == "ctr-test-issuer" and .aud == "ctr-test-registry" and .sub == "ctrtest"
       and .access == [{type: "repository", name: "busybox", actions: ["pull"]}]
       and .exp > now and .nbf < now' "$(jwt_part "$tok" 1)"
  [ "$(http_code "http://$PRIV/v2/busybox/manifests/latest" -H "Authorization: Bearer $tok" \
    -H "Accept: $OCI_MANIFEST")" = 200 ]
  # The same claims with another access list, under the old signature: refused.
  local forged
  forged=$(cut -d. -f1 <<<"$tok").$(jwt_part "$tok" 1 | jq -c '.access[0].name = "other"' |
    base64 -w0 | tr '+/' '-_' | tr -d =).$(cut -d. -f3 <<<"$tok")
  [ "$(http_code "http://$PRIV/v2/other/tags/list" -H "Authorization: Bearer $forged")" = 401 ]

  # Anonymous: a token with nothing in it, which the registry refuses.
  tok=$(token_for "$PRIV_REALM" repository:busybox:pull)
  jqe '.access == [] and .sub == ""' "$(jwt_part "$tok" 1)"
  [ "$(http_code "http://$PRIV/v2/busybox/manifests/latest" -H "Authorization: Bearer $tok")" = 401 ]
  # A wrong password: no token at all.
  [ "$(http_code "$PRIV_REALM?service=ctr-test-registry&scope=repository:busybox:pull" \
    -u "$PRIV_USER:wrong")" = 401 ]

  # The anonymous-pull service grants pull, never push, to anonymous clients.
  tok=$(token_for "$ANON_REALM" "repository:busybox:pull,push")
  jqe '.access == [{type: "repository", name: "busybox", actions: ["pull"]}]' "$(jwt_part "$tok" 1)"

  # skopeo goes through the same flow.
  [ "$(registry_digest "$PRIV/busybox:latest" --creds "$PRIV_USER:$PRIV_PASS")" = "$BB_DIGEST" ]
  run registry_manifest "$PRIV/busybox:latest"
  [ "$status" -ne 0 ]
  [ "$(registry_digest "$ANON/busybox:latest")" = "$BB_DIGEST" ]

  # The log: one line per request, with the scope and whether Basic came.
  jqe 'any(.[]; .basic == false and .scope == "repository:busybox:pull" and .granted == [])' \
    "$(token_requests "$PRIV_TOKEN_LOG")"
  jqe 'any(.[]; .basic and .authorized and (.scopes | any(test("^repository:busybox:.*push"))))' \
    "$(token_requests "$PRIV_TOKEN_LOG")"
}

@test "infra: the registry takes a token whose kid names a key of its bundle, and only such a key" {
  local tok
  # docker-registry 2.8 also trusts the libtrust key id ("kid") of the
  # certificates in rootcertbundle, but not of certificates they issued.
  token_server_start --key-id-mode kid --key "$TOKEN_CERTS/ca.key" --cert "$TOKEN_CERTS/ca.crt"
  tok=$(token_for "$TOKEN_REALM" repository:busybox:pull -u "$TOKEN_USER:$TOKEN_PASS")
  jqe '.alg == "RS256" and (.kid | test("^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$")) and .x5c == null' \
    "$(jwt_part "$tok" 0)"
  [ "$(http_code "http://$PRIV/v2/busybox/manifests/latest" -H "Authorization: Bearer $tok" \
    -H "Accept: $OCI_MANIFEST")" = 200 ]
  token_server_start --key-id-mode kid
  tok=$(token_for "$TOKEN_REALM" repository:busybox:pull -u "$TOKEN_USER:$TOKEN_PASS")
  [ "$(http_code "http://$PRIV/v2/busybox/manifests/latest" -H "Authorization: Bearer $tok" \
    -H "Accept: $OCI_MANIFEST")" = 401 ]
  grep -q 'token signed by untrusted key' "$PRIV_LOG"
}

@test "infra: 2130706433:PORT is the plain registry at 127.0.0.1 by a name that is not loopback" {
  [ "$(http_code "http://$DEC/v2/")" = 200 ]
  [ "$(timeout 10 curl -s -o /dev/null -w '%{remote_ip}' "http://$DEC/v2/")" = 127.0.0.1 ]
  [ "$(http_code "https://$DEC/v2/" -k)" = 000 ] # plain HTTP only: TLS fails
}

# ---------------------------------------------------------------------------
# The bearer token flow

@test "token: ctr-pull --creds gets a token with Basic credentials for repository:busybox:pull" {
  local m reqs
  m=$(mark "$PRIV_TOKEN_LOG")
  pull_ok --creds "$PRIV_USER:$PRIV_PASS" "$PRIV/busybox:latest"
  [ "$output" = "$PRIV/busybox:latest@$BB_DIGEST" ]
  check_pulled "$PRIV/busybox:latest"
  reqs=$(token_requests "$PRIV_TOKEN_LOG" "$m")
  jqe 'length >= 1 and all(.[]; .basic and .authorized and .user == "ctrtest"
       and .service == "ctr-test-registry" and .status == 200)' "$reqs"
  jqe 'any(.[]; .scopes | any(. == "repository:busybox:pull"))' "$reqs"
  # What the registry served went to a token bearer: its log names the token's subject.
  grep -q 'auth.user.name=ctrtest' "$PRIV_LOG"
}

@test "token: without credentials or anonymous access the pull fails with 401/unauthorized" {
  local m reqs
  m=$(mark "$PRIV_TOKEN_LOG")
  run_pull "$PRIV/busybox:latest"
  one_error_line_of ctr-pull
  [[ "${ERR_LINE,,}" == *401* || "${ERR_LINE,,}" == *unauthorized* ]]
  [[ "$ERR_LINE" == *"$PRIV/busybox"* ]]
  [ -z "$output" ]
  [ -z "$(store_names)" ]
  # It asked the token service, anonymously, and got nothing.
  reqs=$(token_requests "$PRIV_TOKEN_LOG" "$m")
  jqe 'length >= 1 and all(.[]; .basic == false and .granted == [])
       and any(.[]; .scopes | any(. == "repository:busybox:pull"))' "$reqs"
}

@test "token: an anonymous pull works where the token service grants anonymous pulls" {
  local m reqs
  m=$(mark "$ANON_TOKEN_LOG")
  pull_ok "$ANON/busybox:latest"
  [ "$output" = "$ANON/busybox:latest@$BB_DIGEST" ]
  check_pulled "$ANON/busybox:latest"
  reqs=$(token_requests "$ANON_TOKEN_LOG" "$m")
  jqe 'length >= 1 and all(.[]; .basic == false and .user == null and .status == 200)' "$reqs"
  jqe 'any(.[]; (.scopes | any(. == "repository:busybox:pull"))
       and .granted == [{type: "repository", name: "busybox", actions: ["pull"]}])' "$reqs"
}

@test "token: a wrong password is refused by the token service: one error line, not echoed" {
  local m
  m=$(mark "$PRIV_TOKEN_LOG")
  run_pull --creds "$PRIV_USER:wrong-$PRIV_PASS" "$PRIV/busybox:latest"
  one_error_line_of ctr-pull
  [[ "${ERR_LINE,,}" == *401* || "${ERR_LINE,,}" == *unauthorized* ]]
  [[ "$ERR_LINE" == *"$PRIV"* ]]
  [[ "$stderr" != *"wrong-$PRIV_PASS"* ]]
  [ -z "$(store_names)" ]
  jqe 'length >= 1 and all(.[]; .basic and .authorized == false and .status == 401)' \
    "$(token_requests "$PRIV_TOKEN_LOG" "$m")"
}

@test "token: ctr-push --creds gets a push token and the image lands in another repository" {
  local m reqs
  pull_ok -q --creds "$PRIV_USER:$PRIV_PASS" "$PRIV/busybox:latest"
  m=$(mark "$PRIV_TOKEN_LOG")
  push_ok --creds "$PRIV_USER:$PRIV_PASS" "$PRIV/busybox:latest" "$PRIV/pushed:v1"
  [ "$(registry_digest "$PRIV/pushed:v1" --creds "$PRIV_USER:$PRIV_PASS")" = "$BB_DIGEST" ]
  reqs=$(token_requests "$PRIV_TOKEN_LOG" "$m")
  jqe 'length >= 1 and all(.[]; .basic and .authorized)' "$reqs"
  jqe 'any(.[]; .scopes | any(test("^repository:pushed:([a-z*]+,)*push(,|$)")))' "$reqs"
  jqe 'any(.[]; .granted | any(.name == "pushed" and (.actions | index("push"))))' "$reqs"
  # Private: without credentials skopeo cannot read it.
  run registry_manifest "$PRIV/pushed:v1"
  [ "$status" -ne 0 ]
}

@test "token: a push without credentials gets a pull-only token and fails with one error line" {
  local m reqs
  pull_ok -q "$ANON/busybox:latest"
  m=$(mark "$ANON_TOKEN_LOG")
  run_push "$ANON/busybox:latest" "$ANON/anon-push:v1"
  one_error_line_of ctr-push
  [[ "${ERR_LINE,,}" == *401* || "${ERR_LINE,,}" == *unauthorized* || "${ERR_LINE,,}" == *denied* ]]
  reqs=$(token_requests "$ANON_TOKEN_LOG" "$m")
  jqe 'any(.[]; .basic == false and (.scopes | any(test("^repository:anon-push:.*push"))))
       and all(.[]; .granted | all(.actions == ["pull"]))' "$reqs"
  run registry_manifest "$ANON/anon-push:v1" --creds "$ANON_USER:$ANON_PASS"
  [ "$status" -ne 0 ]
}

@test "token: ctr-image tags and search --creds go through the token service" {
  local m reqs
  m=$(mark "$PRIV_TOKEN_LOG")
  img_ok tags --creds "$PRIV_USER:$PRIV_PASS" "$PRIV/busybox"
  [ "$output" = "$PRIV/busybox:latest" ]
  reqs=$(token_requests "$PRIV_TOKEN_LOG" "$m")
  jqe 'any(.[]; .basic and .authorized and (.scopes | any(. == "repository:busybox:pull")))' "$reqs"
  img_ok search --creds "$PRIV_USER:$PRIV_PASS" "$PRIV/busybox"
  [ "$output" = "$PRIV/busybox" ]
  jqe 'any(.[]; .basic and (.scopes | any(. == "registry:catalog:*")))' \
    "$(token_requests "$PRIV_TOKEN_LOG" "$m")"
  run_img tags "$PRIV/busybox"
  one_error_line_of ctr-image
  [[ "${ERR_LINE,,}" == *401* || "${ERR_LINE,,}" == *unauthorized* ]]
}

# ---------------------------------------------------------------------------
# Credential helpers

@test "helpers: credHelpers[HOST] runs docker-credential-NAME get with HOST on stdin" {
  make_cred_helper ctrtest "$BASIC" "$BASIC_USER" "$BASIC_PASS"
  docker_config "{\"credHelpers\": {\"$BASIC\": \"ctrtest\"}}"
  pull_ok "$BASIC/busybox:latest"
  [ "$output" = "$BASIC/busybox:latest@$BB_DIGEST" ]
  check_pulled "$BASIC/busybox:latest"
  grep -qxF "get $BASIC" "$HELPER_LOG"
  # credHelpers come before auths (here with a wrong password), as in Docker.
  rm -rf "$STORE" "$HELPER_LOG"
  docker_config "$(jq -n --arg h "$BASIC" --arg a "$(printf '%s' "$BASIC_USER:wrong" | base64 -w0)" \
    '{auths: {($h): {auth: $a}}, credHelpers: {($h): "ctrtest"}}')"
  pull_ok "$BASIC/busybox:latest"
  check_pulled "$BASIC/busybox:latest"
  grep -qxF "get $BASIC" "$HELPER_LOG"
}

@test "helpers: credsStore runs the helper for any registry" {
  make_cred_helper ctrtest "$BASIC" "$BASIC_USER" "$BASIC_PASS"
  docker_config '{"credsStore": "ctrtest"}'
  pull_ok "$BASIC/busybox:latest"
  check_pulled "$BASIC/busybox:latest"
  grep -qxF "get $BASIC" "$HELPER_LOG"
}

@test "helpers: credentials from a helper go to the token service" {
  local m
  make_cred_helper ctrtest "$PRIV" "$PRIV_USER" "$PRIV_PASS"
  docker_config "{\"credHelpers\": {\"$PRIV\": \"ctrtest\"}}"
  m=$(mark "$PRIV_TOKEN_LOG")
  pull_ok "$PRIV/busybox:latest"
  check_pulled "$PRIV/busybox:latest"
  grep -qxF "get $PRIV" "$HELPER_LOG"
  jqe 'length >= 1 and all(.[]; .basic and .authorized)' "$(token_requests "$PRIV_TOKEN_LOG" "$m")"
}

@test "helpers: a helper without credentials for the registry (exit 1) leaves the pull anonymous" {
  make_cred_helper ctrtest "127.0.0.1:1" "$BASIC_USER" "$BASIC_PASS"
  docker_config '{"credsStore": "ctrtest"}'
  run_pull "$BASIC/busybox:latest"
  one_error_line_of ctr-pull
  [[ "${ERR_LINE,,}" == *401* || "${ERR_LINE,,}" == *unauthorized* ]]
  grep -qxF "get $BASIC" "$HELPER_LOG"
  [ -z "$(store_names)" ]
}

@test "helpers: a helper that is not installed fails with one error line naming it" {
  local name
  for name in credHelpers credsStore; do
    if [ $name = credHelpers ]; then
      docker_config "{\"credHelpers\": {\"$BASIC\": \"ctr-no-such-helper\"}}"
    else
      docker_config '{"credsStore": "ctr-no-such-helper"}'
    fi
    run_pull "$BASIC/busybox:latest"
    one_error_line_of ctr-pull
    [[ "$ERR_LINE" == *docker-credential-ctr-no-such-helper* ]]
    [ -z "$output" ]
    [ -z "$(store_names)" ]
  done
}

# ---------------------------------------------------------------------------
# registries.conf

@test "registries.conf: a registry whose name is not loopback gets no plain HTTP by default" {
  run_pull "$DEC/busybox:latest"
  one_error_line_of ctr-pull
  [[ "$ERR_LINE" == *"$DEC"* ]]
  [[ "$ERR_LINE" == *insecure* ]]
  [ -z "$(store_names)" ]
  # Another registry's entry, or insecure = false, changes nothing.
  printf '%s\n' '[[registry]]' "location = \"$PLAIN\"" 'insecure = true' \
    '[[registry]]' "location = \"$DEC\"" 'insecure = false' \
    '[[registry]]' "location = \"2130706433:1\"" 'insecure = true' >"$CONTAINERS_REGISTRIES_CONF"
  run_pull "$DEC/busybox:latest"
  one_error_line_of ctr-pull
  [[ "$ERR_LINE" == *insecure* ]]
  [ -z "$(store_names)" ]
  # The same registry, named on the command line: plain HTTP is fine.
  pull_ok --insecure "$DEC" "$DEC/busybox:latest"
  check_pulled "$DEC/busybox:latest"
}

@test "registries.conf: [[registry]] location = HOST, insecure = true allows plain HTTP" {
  printf '%s\n' 'unqualified-search-registries = ["docker.io"]' '' \
    '[[registry]]' "location = \"$DEC\"" 'insecure = true' >"$CONTAINERS_REGISTRIES_CONF"
  pull_ok "$DEC/busybox:latest"
  [ "$output" = "$DEC/busybox:latest@$BB_DIGEST" ]
  check_pulled "$DEC/busybox:latest"
  # Only through $CONTAINERS_REGISTRIES_CONF: with another (empty) file it is refused again.
  rm -rf "$STORE"
  : >"$BATS_TEST_TMPDIR/empty.conf"
  CONTAINERS_REGISTRIES_CONF=$BATS_TEST_TMPDIR/empty.conf run_pull "$DEC/busybox:latest"
  one_error_line_of ctr-pull
}

@test "registries.conf: the v1 form [registries.insecure] registries = [HOST] allows plain HTTP" {
  printf '%s\n' '[registries.search]' 'registries = ["docker.io"]' '' \
    '[registries.insecure]' "registries = ['example.invalid', '$DEC']" >"$CONTAINERS_REGISTRIES_CONF"
  pull_ok "$DEC/busybox:latest"
  check_pulled "$DEC/busybox:latest"
  # The same names under [registries.block] are not insecure ones.
  rm -rf "$STORE"
  printf '%s\n' '[registries.block]' "registries = ['$DEC']" >"$CONTAINERS_REGISTRIES_CONF"
  run_pull "$DEC/busybox:latest"
  one_error_line_of ctr-pull
  [[ "$ERR_LINE" == *insecure* ]]
}
