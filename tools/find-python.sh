#!/usr/bin/env bash
# Print the Python to build the venv with: 3.12 (Lambda's runtime) when one actually runs, else python3.
# A pyenv shim can exist for a version that is not selected, so every candidate is run, not just found.
for candidate in python3.12 "$HOME"/.pyenv/versions/3.12*/bin/python3 /usr/bin/python3.12 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys, venv; assert sys.version_info >= (3, 11)' >/dev/null 2>&1; then
    command -v "$candidate"
    exit 0
  fi
done
echo "error: Python 3.11 or newer is required (3.12 preferred)" >&2
exit 1
