"""Signature verification for rule HB-IMG-004, through a command the user configures.

`hardbake verify` is not part of this package; rather than import it, the rule takes any
`SignatureVerifier` (a callable RegistryRef -> SignatureResult). `CommandVerifier` runs a
configured command (argv, no shell; `{image}` replaced by the canonical reference) and reads
exit status 0 as "verified": `hardbake verify {image}` once it exists, or `cosign verify
--key cosign.pub {image}` today. Results are cached per reference for the verifier's life.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Sequence

from hardbake.errors import ToolMissing
from hardbake.oci.reference import RegistryRef
from hardbake.policy.rules import SignatureResult


class CommandVerifier:
    def __init__(self, command: Sequence[str], timeout: float = 30.0) -> None:
        self.command = tuple(command)
        self.timeout = timeout
        self._cache: dict[str, SignatureResult] = {}
        self._lock = threading.Lock()

    def __call__(self, ref: RegistryRef) -> SignatureResult:
        key = ref.canonical
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None:
            return hit
        argv = [a.replace("{image}", key) for a in self.command]
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=self.timeout, check=False)
        except FileNotFoundError as e:
            raise ToolMissing(
                f"signature verifier {argv[0]!r} not found", hint="install it or fix signature.command"
            ) from e
        except subprocess.TimeoutExpired:
            result = SignatureResult(False, f"verifier timed out after {self.timeout:g}s")
        else:
            tail = (proc.stderr or proc.stdout).strip().splitlines()
            result = SignatureResult(proc.returncode == 0, tail[-1][:200] if tail and proc.returncode else "")
        with self._lock:
            self._cache[key] = result
        return result
