#!/usr/bin/env bash
# Build (once) the container image SAM local runs the functions in, offline, and print its name.
#
#   bash tools/sam-local-image.sh PYTHON3.12 CACHE_DIR
#
# SAM CLI normally pulls public.ecr.aws/lambda/python3.12; where no registry can be reached, this builds
# an image with the same layout from Debian's packages instead:
#   - a Debian bookworm root file system (debootstrap --variant=minbase) with the shared libraries Python
#     links against;
#   - this machine's CPython 3.12 under /var/lang (as in the Lambda image);
#   - the AWS Lambda Runtime Interface Client (PyPI's awslambdaric) under /var/runtime;
#   - /var/runtime/bootstrap, which the runtime interface emulator SAM adds starts for every invocation:
#     `python3.12 -m awslambdaric "$_HANDLER"` in /var/task.
# The image is tagged with a hash of its inputs (this script, the Python version, awslambdaric's version),
# so it is rebuilt only when one of them changes; the Debian root is cached under CACHE_DIR.
# Needs root, debootstrap and podman (tools/sam-local.sh installs them). docs/deploy.md#sam-local-testing.
set -euo pipefail

PYTHON=${1:?usage: sam-local-image.sh PYTHON3.12 CACHE_DIR}
CACHE=${2:?usage: sam-local-image.sh PYTHON3.12 CACHE_DIR}
AWSLAMBDARIC_VERSION=4.2.2
SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# What CPython 3.12 loads besides glibc (ssl, ctypes, sqlite3, bz2, lzma, readline, curses, uuid, dbm, zlib).
PACKAGES=ca-certificates,libssl3,libffi8,libsqlite3-0,libbz2-1.0,liblzma5,libreadline8,libncursesw6,libuuid1,libgdbm6,zlib1g

version=$("$PYTHON" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
case "$version" in 3.12.*) ;; *) echo "error: the Lambda image needs Python 3.12, $PYTHON is $version" >&2; exit 2 ;; esac
arch=$(uname -m)
key=$( { cat "$0"; echo "$version $arch $AWSLAMBDARIC_VERSION $SUITE $PACKAGES"; } | sha256sum | cut -c1-12)
image="localhost/checkout-lambda-python3.12:$key"

if podman image exists "$image"; then
  echo "$image"
  exit 0
fi

mkdir -p "$CACHE"
base="$CACHE/debian-$SUITE-$arch-$(echo "$PACKAGES" | sha256sum | cut -c1-8).tar"
work=$(mktemp -d "$CACHE/image.XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root"

if [[ ! -f "$base" ]]; then
  echo "sam-local: building a Debian $SUITE root for the Lambda image (about a minute, once)" >&2
  debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -cf "$base.tmp" . && mv "$base.tmp" "$base"
else
  tar -C "$root" -xf "$base"
fi

# CPython under /var/lang: its standard library, without its tests, IDLE, Tk and installed packages.
prefix=$("$PYTHON" -c 'import sys; print(sys.base_prefix)')
mkdir -p "$root/var/lang"
tar -C "$prefix" \
  --exclude='./lib/python3.12/test' --exclude='./lib/python3.12/idlelib' \
  --exclude='./lib/python3.12/tkinter' --exclude='./lib/python3.12/turtledemo' \
  --exclude='./lib/python3.12/site-packages/*' --exclude='./include' --exclude='./share' \
  -cf - . | tar -C "$root/var/lang" -xf -
ln -sf python3.12 "$root/var/lang/bin/python3"

# The runtime interface client, for the image's Python and architecture.
"$PYTHON" -m pip install -q --disable-pip-version-check --no-compile --only-binary=:all: \
  --platform "manylinux2014_$arch" --python-version 3.12 --implementation cp \
  --target "$root/var/runtime" "awslambdaric==$AWSLAMBDARIC_VERSION"

mkdir -p "$root/var/task" "$root/opt"
cat >"$root/var/runtime/bootstrap" <<'EOF'
#!/bin/sh
# Started by the runtime interface emulator for each new execution environment, as Lambda's python3.12.
export PYTHONPATH="/var/task:/opt/python:/var/runtime${PYTHONPATH:+:$PYTHONPATH}"
cd "${LAMBDA_TASK_ROOT:-/var/task}"
exec /var/lang/bin/python3.12 -m awslambdaric "$_HANDLER"
EOF
chmod 755 "$root/var/runtime/bootstrap"

# Smoke test before the image exists: the copied Python starts and finds its shared libraries.
chroot "$root" /usr/bin/env LD_LIBRARY_PATH=/var/lang/lib PYTHONPATH=/var/runtime \
  /var/lang/bin/python3.12 -c 'import ssl, ctypes, sqlite3, bz2, lzma, uuid, zlib, awslambdaric'

tar -C "$root" -cf "$work/image.tar" .
podman import --quiet \
  --change 'ENV PATH=/var/lang/bin:/usr/local/bin:/usr/bin:/bin' \
  --change 'ENV LD_LIBRARY_PATH=/var/lang/lib:/var/runtime:/var/task:/var/task/lib:/opt/lib' \
  --change 'ENV LANG=en_US.UTF-8' \
  --change 'ENV TZ=:/etc/localtime' \
  --change 'ENV LAMBDA_TASK_ROOT=/var/task' \
  --change 'ENV LAMBDA_RUNTIME_DIR=/var/runtime' \
  --change 'WORKDIR /var/task' \
  --change 'ENTRYPOINT ["/var/runtime/bootstrap"]' \
  "$work/image.tar" "$image" >/dev/null
echo "$image"
