#!/usr/bin/env bash
# Vendor Swagger UI's browser bundle from npm (swagger-ui-dist) into $1, for the offline API explorer that
# `make run` serves at /api-docs/ (no CDN at run time; never uploaded with the site).
set -euo pipefail
dest=${1:?destination folder}
version=5.35.0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "swagger-ui-dist@$version" >/dev/null)
tar -xzf "$tmp"/swagger-ui-dist-$version.tgz -C "$tmp"
mkdir -p "$dest"
cp "$tmp"/package/swagger-ui-bundle.js "$tmp"/package/swagger-ui.css "$tmp"/package/LICENSE "$dest"/
echo "$version" > "$dest"/VERSION
echo "Swagger UI $version vendored in $dest"
