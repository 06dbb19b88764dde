#!/usr/bin/env bash
# Vendor Vue 3's browser ES module build from npm into $1 (no CDN at run time).
set -euo pipefail
dest=${1:?destination folder}
version=3.5.45
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "vue@$version" >/dev/null)
tar -xzf "$tmp"/vue-$version.tgz -C "$tmp"
mkdir -p "$dest"
cp "$tmp"/package/dist/vue.esm-browser.prod.js "$dest"/
echo "Vue $version vendored in $dest"
