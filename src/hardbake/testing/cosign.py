"""The peer `cosign` binary for tests (installed into .tools/bin by scripts/peer-cosign)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

#: Flags for a plain-HTTP loopback registry, verified offline (no transparency log).
REGISTRY_FLAGS = ("--allow-insecure-registry", "--allow-http-registry", "--insecure-ignore-tlog=true")


def cosign_path() -> Path:
    path = ROOT / ".tools" / "bin" / "cosign"
    if not path.is_file():
        raise RuntimeError(f"{path} missing: run scripts/peer-cosign (scripts/setup does)")
    return path


def run_cosign(*args: str, home: Path, password: bytes = b"") -> subprocess.CompletedProcess[str]:
    """Run cosign with an isolated HOME (no cached TUF roots, no docker credentials)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "COSIGN_PASSWORD": password.decode(),
        "TUF_ROOT": str(home / "tuf"),
    }
    return subprocess.run(
        [str(cosign_path()), *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )
