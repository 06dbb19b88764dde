"""Prepare SAM local testing (`make sam-local`; `make test` runs it): the container engine, the Lambda
runtime image, the x86_64 build. Writes `.cache/sam-local/status.json`, which tests/samlocal reads.

    python tools/sam_local.py prepare

Steps, each skipped when already done:
1. podman, runc and debootstrap from Debian (apt-get), when missing and this is root on Debian;
2. `podman info`, and later a container run of the image: where containers cannot run at all (no
   engine, no privileges, a kernel that refuses them) the status says why in one line, and the suite
   is reported as skipped;
3. the Python 3.12 runtime image (tools/sam-local-image.sh, cached by the hash of its inputs);
4. `sam build` of template.yaml for this machine's architecture into `.cache/sam-local/build`
   (`--cached`: only what changed is rebuilt).
Anything else that fails (the image build, `sam build`) is an error, not a skip.
docs/deploy.md#sam-local-testing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "sam-local"
STATUS = CACHE / "status.json"
BUILD_DIR = CACHE / "build"
CONTAINERS_CONF = ROOT / "tools" / "sam-local" / "containers.conf"
SAM = ROOT / ".venv-sam" / "bin" / "sam"
PACKAGES = ("podman", "runc", "debootstrap")


def architecture() -> str:
    """The template's Architecture for this machine: containers run natively, without emulation."""
    return "arm64" if platform.machine().lower() in ("aarch64", "arm64") else "x86_64"


def engine_env() -> dict[str, str]:
    return {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF), "SAM_CLI_TELEMETRY": "0"}


def _say(line: str) -> None:
    print(f"sam-local: {line}", flush=True)


def _write_status(**status: object) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    STATUS.write_text(json.dumps(status, indent=2) + "\n")


def _skip(reason: str) -> int:
    _say(f"SKIPPED: {reason}")
    _write_status(ready=False, reason=reason)
    return 0


def _install_packages() -> str | None:
    """None when the tools are there (installed now if need be), else why they can't be."""
    missing = [p for p in PACKAGES if shutil.which(p) is None]
    if not missing:
        return None
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return f"{', '.join(missing)} not installed and this is not root on Debian/Ubuntu (apt-get)"
    _say(f"installing {' '.join(missing)} from Debian")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", *missing]
    done = subprocess.run(install, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:  # a fresh machine has no package lists yet
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=False)
        done = subprocess.run(install, env=env, capture_output=True, text=True, check=False)
    if done.returncode == 0:
        return None
    last = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return f"apt-get could not install {' '.join(missing)}: {last}"


def _python312() -> str | None:
    candidates = [os.environ.get("SAM_LOCAL_PYTHON", ""), sys.executable]
    found = subprocess.run(
        ["bash", str(ROOT / "tools" / "find-python.sh")], capture_output=True, text=True, check=False
    ).stdout.strip()
    candidates.append(found)
    for candidate in filter(None, candidates):
        version = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 12))"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if version == "True":
            return candidate
    return None


def prepare() -> int:
    started = time.monotonic()
    CACHE.mkdir(parents=True, exist_ok=True)
    if platform.system() != "Linux":
        return _skip(f"the offline runtime image is built for Linux; this is {platform.system()}")
    why = _install_packages()
    if why:
        return _skip(why)
    python = _python312()
    if python is None:
        return _skip(
            "the Lambda runtime image needs a Python 3.12 on this machine (python3.12 runs the functions)"
        )
    if not SAM.exists():
        raise SystemExit(
            "error: the SAM CLI venv is missing: run `make .venv-sam/.installed` (make sam-local does)"
        )

    env = engine_env()
    engine = subprocess.run(
        ["podman", "info"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if engine.returncode != 0:
        detail = (engine.stderr.strip().splitlines() or ["no output"])[-1]
        return _skip(f"podman cannot run here (podman info: {detail})")
    image = (
        subprocess.run(
            ["bash", str(ROOT / "tools" / "sam-local-image.sh"), python, str(CACHE)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )

    probe = subprocess.run(
        ["podman", "run", "--rm", "--entrypoint", "/var/lang/bin/python3.12", image, "-c", "print('ok')"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if probe.returncode != 0 or probe.stdout.strip() != "ok":
        detail = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        return _skip(f"containers cannot run on this machine (podman run: {detail})")

    arch = architecture()
    _say(f"sam build for {arch} into {BUILD_DIR.relative_to(ROOT)}")
    with (CACHE / "sam-build.log").open("w") as log:
        built = subprocess.run(
            [
                str(SAM),
                "build",
                "--template-file",
                str(ROOT / "template.yaml"),
                "--build-dir",
                str(BUILD_DIR),
                "--cache-dir",
                str(CACHE / "build-cache"),
                "--cached",
                "--parameter-overrides",
                f"Architecture={arch}",
            ],
            cwd=ROOT,
            # `sam build` runs pip for python3.12: that Python's folder goes first on PATH for it.
            env={**env, "PATH": f"{Path(python).parent}:{env.get('PATH', '')}"},
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if built.returncode != 0:
        raise SystemExit(f"error: sam build failed ({log.name}):\n" + Path(log.name).read_text()[-3000:])
    _write_status(
        ready=True,
        image=image,
        architecture=arch,
        template=str(BUILD_DIR / "template.yaml"),
        python=python,
        prepared_in_s=round(time.monotonic() - started, 1),
    )
    _say(f"ready: image {image}, functions built for {arch} ({time.monotonic() - started:.0f} s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["prepare"])
    parser.parse_args(argv)
    return prepare()


if __name__ == "__main__":
    raise SystemExit(main())
