"""Fetch PortOne's official V1 OpenAPI spec from PyPI (it ships inside portone-mcp-server).

The tests validate the sandbox and our client against it; the file is cached under .cache/.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import tempfile
import zipfile

PACKAGE = "portone-mcp-server==0.12.1"
MEMBER = "portone_mcp_server/resources/docs/schema/v1.openapi.json"


def fetch(dest: pathlib.Path) -> pathlib.Path:
    if dest.exists():
        return dest
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--only-binary=:all:",
                "--python-version",
                "3.12",
                "-d",
                tmp,
                PACKAGE,
            ],
            check=True,
        )
        wheel = next(pathlib.Path(tmp).glob("portone_mcp_server-*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            data = zf.read(MEMBER)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    return dest


if __name__ == "__main__":
    print(fetch(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".cache/portone/v1.openapi.json")))
