#!/bin/sh
# Runs a command under Node.js >= 22.18 (type stripping, current vendor SDKs).
# The system node is used when it is new enough; otherwise Node 24 LTS is fetched once from the
# npm registry (package node-<os>-<arch>@24, which holds bin/node) into .node/ at the project root.
#
#   scripts/node24.sh CMD [ARGS...]   run CMD with that node first on PATH
#   scripts/node24.sh --bin-dir       print the folder to put first on PATH
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)

new_enough() {
  "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=18)?0:1)' 2>/dev/null
}

bin_dir() {
  if command -v node >/dev/null 2>&1 && new_enough node; then
    dirname "$(command -v node)"
    return
  fi
  if [ -x "$root/.node/bin/node" ] && new_enough "$root/.node/bin/node"; then
    echo "$root/.node/bin"
    return
  fi
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) echo "node24.sh: unsupported OS $(uname -s); install Node.js 24 yourself" >&2; exit 1 ;; esac
  case "$(uname -m)" in x86_64|amd64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) echo "node24.sh: unsupported CPU $(uname -m); install Node.js 24 yourself" >&2; exit 1 ;; esac
  tmp=$(mktemp -d "$root/.node.tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "node24.sh: system node is older than 22.18; fetching node-$os-$arch@24 from the npm registry" >&2
  file=$(cd "$tmp" && npm pack "node-$os-$arch@24" --silent | tail -n 1)
  tar xzf "$tmp/$file" -C "$tmp"
  # A concurrent run may have finished first: keep whichever landed.
  if [ ! -x "$root/.node/bin/node" ]; then
    rm -rf "$root/.node"
    mv "$tmp/package" "$root/.node"
  fi
  echo "$root/.node/bin"
}

dir=$(bin_dir)
if [ "${1:-}" = "--bin-dir" ]; then
  echo "$dir"
  exit 0
fi
[ $# -gt 0 ] || { echo "usage: scripts/node24.sh CMD [ARGS...] | --bin-dir" >&2; exit 2; }
PATH="$dir:$PATH"
export PATH
exec "$@"
