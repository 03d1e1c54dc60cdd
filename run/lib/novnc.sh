#!/usr/bin/env bash
# Fetches noVNC (npm @novnc/novnc) for the console test: `run/lib/novnc.sh DIR` leaves the package in
# DIR/novnc-<version>/package (core/rfb.js is the RFB module a browser imports) and prints that path.
# Idempotent: a complete copy in DIR is reused without touching the network (offline-safe once cached).
set -euo pipefail
NOVNC_VERSION=${NOVNC_VERSION:-1.7.0}
dir=${1:?usage: novnc.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
target="$dir/novnc-$NOVNC_VERSION"
if [[ -f "$target/package/core/rfb.js" && -f "$target/.complete" ]]; then
  echo "$target/package"
  exit 0
fi
command -v npm >/dev/null || { echo "novnc.sh: npm is needed to fetch @novnc/novnc $NOVNC_VERSION" >&2; exit 1; }
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.novnc.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# npm pack downloads the published tarball only (no install scripts run, no dependencies: noVNC's core has none).
( cd "$tmp" && npm pack --silent "@novnc/novnc@$NOVNC_VERSION" >/dev/null 2>"$tmp/npm.log" ) \
  || { cat "$tmp/npm.log" >&2; echo "novnc.sh: npm pack @novnc/novnc@$NOVNC_VERSION failed" >&2; exit 1; }
mkdir -p "$tmp/out"
tar -xzf "$tmp"/novnc-novnc-"$NOVNC_VERSION".tgz -C "$tmp/out"
[[ -f "$tmp/out/package/core/rfb.js" ]] || { echo "novnc.sh: the package has no core/rfb.js" >&2; exit 1; }
touch "$tmp/out/.complete"
rm -rf "$target"
mv "$tmp/out" "$target"
echo "$target/package"
