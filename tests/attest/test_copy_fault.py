"""Fault tests at the copy level: the registry process dies in the middle of a push.

The client-level tests (tests/oci/registry/test_fault.py) kill the registry during one
blob's upload; here it dies during a whole image's push (several blobs in flight, parallel
workers, manifests and referrers still to come). Either the push rides it out (the registry
comes back within the retry budget), or it fails with a network error and a second push
completes it, re-sending only what the registry does not have. Bounded in time.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from hardbake.attest import signing
from hardbake.attest.copy import copy_image
from hardbake.attest.keys import SigningKey
from hardbake.attest.storage.layout import LayoutStore
from hardbake.errors import NetworkError
from hardbake.oci import layout
from hardbake.oci.blobs import BlobStore
from hardbake.oci.descriptor import Descriptor
from hardbake.oci.image import Image
from hardbake.oci.progress import Outcome, TransferProgress
from hardbake.oci.reference import parse_image_ref
from hardbake.oci.registry import RetryPolicy
from hardbake.oci.remote import RegistryAccess
from hardbake.testing.images import random_index
from hardbake.testing.registry import LocalRegistry

CHUNK = 512 * 1024


class _KillAfter(TransferProgress):
    """Kills the registry once some blob is complete and `after` bytes of another have gone
    up; restarts it `restart` seconds later (or never)."""

    def __init__(self, reg: LocalRegistry, after: int, restart: float | None) -> None:
        self.reg, self.after, self.restart = reg, after, restart
        self.killed = threading.Event()
        self.restarted = threading.Event()
        self._lock = threading.Lock()
        self._complete = 0

    def finished(self, desc: Descriptor, outcome: Outcome) -> None:
        with self._lock:
            self._complete += 1

    def advanced(self, desc: Descriptor, done: int) -> None:
        with self._lock:
            if self.killed.is_set() or done < self.after or not self._complete:
                return
            self.reg.stop()
            self.killed.set()
        if self.restart is not None:
            threading.Thread(target=self._restart, daemon=True).start()

    def _restart(self) -> None:
        assert self.restart is not None
        time.sleep(self.restart)
        self.reg.start()
        self.restarted.set()


def _signed(tmp: Path, key: SigningKey) -> Image:
    # incompressible random files: about 3 MB per layer, 6 layers over 2 platforms
    idx = random_index(BlobStore(tmp / "store", fsync=False), layers=3, files=6, max_size=1_000_000)
    layout.write(tmp / "src", idx, tags=["v1"])
    signing.sign_image(LayoutStore(tmp / "src"), "v1", key)
    return idx  # type: ignore[return-value]


def _pull_and_compare(registry: LocalRegistry, tmp: Path, idx: Image, name: str) -> None:
    with RegistryAccess() as access:
        copy_image(
            parse_image_ref(f"{registry.host}/{name}:v1"),
            parse_image_ref(f"oci:{tmp / name}:v1"),
            access=access,
        )
    assert layout.read(tmp / name, "v1").digest() == idx.digest()
    assert layout.Layout(tmp / name).verify() == layout.Layout(tmp / "src").verify()  # every blob, intact


@pytest.mark.timeout(180)
def test_push_rides_out_a_registry_restart(registry: LocalRegistry, tmp_path: Path, key: SigningKey) -> None:
    idx = _signed(tmp_path, key)
    killer = _KillAfter(registry, after=CHUNK * 2, restart=0.5)
    start = time.monotonic()
    with RegistryAccess(retry=RetryPolicy(attempts=10, base=0.1, cap=1.0), chunk_size=CHUNK) as access:
        result = copy_image(
            parse_image_ref(f"oci:{tmp_path / 'src'}:v1"),
            parse_image_ref(f"{registry.host}/fault/app:v1"),
            access=access,
            progress=killer,
        )
    assert killer.killed.is_set() and killer.restarted.is_set()
    assert time.monotonic() - start < 90
    assert result.descriptor.digest == idx.digest() and len(result.referrers) == 6  # 3 .sig tags, 3 referrers
    _pull_and_compare(registry, tmp_path, idx, "fault/app")


@pytest.mark.timeout(180)
def test_a_failed_push_is_completed_by_the_next(
    registry: LocalRegistry, tmp_path: Path, key: SigningKey
) -> None:
    idx = _signed(tmp_path, key)
    killer = _KillAfter(registry, after=CHUNK * 2, restart=None)  # stays down past the retry budget
    src, dst = (
        parse_image_ref(f"oci:{tmp_path / 'src'}:v1"),
        parse_image_ref(f"{registry.host}/fault/again:v1"),
    )
    start = time.monotonic()
    with RegistryAccess(retry=RetryPolicy(attempts=3, base=0.05), chunk_size=CHUNK) as access:
        with pytest.raises(NetworkError):
            copy_image(src, dst, access=access, progress=killer)
        assert time.monotonic() - start < 60
        registry.start()
        result = copy_image(src, dst, access=access)
    assert result.blobs.blobs["exists"] > 0  # what made it before the crash is not sent again
    assert result.blobs.blobs["copied"] + result.blobs.blobs["exists"] == 8  # 2 configs, 6 layers
    _pull_and_compare(registry, tmp_path, idx, "fault/again")
