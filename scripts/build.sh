#!/usr/bin/env bash
# Configures (once) and builds ctr in _build. CI=true builds with -Werror.
set -euo pipefail
cd "$(dirname "$0")/.."
werror=false
[ "${CI:-}" = true ] && werror=true
if [ ! -f _build/build.ninja ]; then
  meson setup _build -Dwerror=$werror >/dev/null
else
  meson configure _build -Dwerror=$werror >/dev/null
fi
ninja -C _build >/dev/null
