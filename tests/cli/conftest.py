from __future__ import annotations

import sys
from pathlib import Path

# the debian tests' local apt repository fixtures, reused by the CLI tests
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "debian"))
from conftest import archive_key, other_key, site  # noqa: F401
