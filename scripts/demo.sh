#!/usr/bin/env bash
# The demo: a busybox root filesystem from Debian's busybox-static (no
# network), a bundle, a command run with ctr-run, then the lifecycle by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=$PWD/_build/runtime/ctr-run
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
echo
echo "demo done: bundle in $demo/bundle"
