#!/usr/bin/env bash
# The demo: a busybox root filesystem from Debian's busybox-static (no
# network), a bundle, a command run with ctr-run, then the lifecycle by hand;
# then the image tools: that rootfs imported as an image, pushed to a local
# docker-registry on 127.0.0.1, pulled back, made a bundle, run, diffed,
# committed, and the new image run.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
RUN=$top/_build/runtime/ctr-run
demo=$PWD/_demo
state=$demo/state
rm -rf "$demo"
mkdir -p "$demo/bundle/rootfs"/{bin,proc,sys,dev,etc,tmp}
cp /bin/busybox "$demo/bundle/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$demo/bundle/rootfs/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$demo/bundle/rootfs/etc/passwd"
echo 'root:x:0:' > "$demo/bundle/rootfs/etc/group"

cd "$demo/bundle"
step() { printf '\n$ %s\n' "$*"; "$@"; }
step "$RUN" spec
jq '.process.terminal = false | .process.args = ["sh", "-c", "echo hello from $(hostname), pid $$; uname -r"]' \
  config.json > config.json.new && mv config.json.new config.json

step "$RUN" --root "$state" run demo-run
jq '.process.args = ["sleep", "30"]' config.json > config.json.new && mv config.json.new config.json
step "$RUN" --root "$state" create demo
step "$RUN" --root "$state" list
step "$RUN" --root "$state" start demo
step "$RUN" --root "$state" state demo
step "$RUN" --root "$state" kill demo KILL
# kill returns once the signal is sent; state derives "stopped" from the process.
for _ in $(seq 100); do
  "$RUN" --root "$state" state demo | grep -q '"stopped"' && break
  sleep 0.05
done
step "$RUN" --root "$state" list
step "$RUN" --root "$state" delete demo

# --- images: import, push, pull, bundle, run, diff, commit -----------------
B=$top/_build
store=$demo/store
export CTR_ROOT=$store
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$demo/registry"
printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
  "$demo/registry/data" "$port" > "$demo/registry/config.yml"
docker-registry serve "$demo/registry/config.yml" > "$demo/registry/log" 2>&1 &
registry_pid=$!
trap 'kill $registry_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null && break
  sleep 0.05
done
image=127.0.0.1:$port/busybox:demo
tar -C "$demo/bundle/rootfs" -czf "$demo/busybox.tar.gz" .
step "$B/image/layer/ctr-layer" import -c 'CMD ["sh"]' "$demo/busybox.tar.gz" "$image"
step "$B/registry/ctr-push" "$image"
rm -rf "$store"
step "$B/registry/ctr-pull" -q "$image"
step "$B/image/tool/ctr-image" ls
step "$B/image/layer/ctr-layer" bundle "$image" "$demo/c1" -- sh -c 'echo hello > /greeting; rm /bin/ls'
step "$RUN" --root "$state" run -b "$demo/c1" demo-image
step "$B/image/layer/ctr-layer" diff "$demo/c1"
step "$B/image/layer/ctr-layer" commit -m "demo step" -c 'CMD ["cat", "/greeting"]' "$demo/c1" "127.0.0.1:$port/busybox:greeting"
step "$B/image/tool/ctr-image" history "127.0.0.1:$port/busybox:greeting"
step "$B/image/layer/ctr-layer" bundle "127.0.0.1:$port/busybox:greeting" "$demo/c2"
step "$RUN" --root "$state" run -b "$demo/c2" demo-greeting
"$B/image/layer/ctr-layer" rm "$demo/c1" >/dev/null
"$B/image/layer/ctr-layer" rm "$demo/c2" >/dev/null
echo
echo "demo done: bundle in $demo/bundle, image store in $store"
