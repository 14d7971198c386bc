"""Sizes and CPU amounts in the three dialects hardbake reads and writes.

- Docker (`-m 512m`, `--tmpfs size=50m`, Compose `memory: 512M`): go-units RAMInBytes, so
  every suffix is binary and case-insensitive (`512m` = `512M` = `512MiB` = 512 * 2**20).
- Kubernetes quantities (`512Mi`, `1G`, `500m`): `Ki Mi Gi Ti` are binary but `k M G T` are
  decimal (`512M` = 512 * 10**6), and CPU may be in millicores (`250m`).
- Profiles accept the Docker dialect plus the `Ki/Mi/Gi` spellings, so both habits work.

Writers emit the shortest exact form of each dialect, so a value read back is the value written.
"""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from hardbake.errors import InputError

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
TiB = 1024 * GiB

_DOCKER_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b?)\s*$", re.IGNORECASE)
_DOCKER_MULT = {"": 1, "k": KiB, "m": MiB, "g": GiB, "t": TiB, "p": 1024 * TiB}

_K8S_RE = re.compile(r"^([+]?[0-9]*\.?[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|e[0-9]+)?$")
_K8S_MULT = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}


def parse_size(value: str | int | float, *, what: str = "size") -> int:
    """Bytes from a Docker-style size (`512m`, `1g`, `1GiB`, `100M`, `4096`); suffixes are binary."""
    if isinstance(value, bool):
        raise InputError(f"invalid {what} {value!r}: expected a size such as 512m or 1g")
    if isinstance(value, int):
        n = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise InputError(f"invalid {what} {value!r}: a byte count must be whole")
        n = int(value)
    else:
        m = _DOCKER_RE.match(value)
        if not m:
            raise InputError(
                f"invalid {what} {value!r}: expected a number with an optional binary suffix "
                "(k, m, g, t; e.g. 512m, 1g, 256MiB)"
            )
        number, suffix, tail = m.groups()
        if tail.lower() == "i":  # "Mi" without the b: Kubernetes habit, same binary meaning here
            tail = "ib"
        if tail and not suffix and tail.lower() != "b":
            raise InputError(f"invalid {what} {value!r}: unit {tail!r} needs k, m, g or t before it")
        n = int(Decimal(number) * _DOCKER_MULT[suffix.lower()])
    if n < 0:
        raise InputError(f"invalid {what} {value!r}: must not be negative")
    return n


def parse_k8s_quantity(value: str | int | float, *, what: str = "quantity") -> Decimal:
    """A Kubernetes resource quantity as an exact decimal (`500m` -> 0.5, `1Gi` -> 1073741824)."""
    if isinstance(value, bool):
        raise InputError(f"invalid {what} {value!r}: expected a Kubernetes quantity")
    if isinstance(value, int | float):
        return Decimal(str(value))
    m = _K8S_RE.match(value.strip())
    if not m:
        raise InputError(
            f"invalid {what} {value!r}: expected a Kubernetes quantity such as 500m, 0.5, 512Mi or 1G"
        )
    number, suffix = m.group(1), m.group(2) or ""
    try:
        base = Decimal(number)
    except InvalidOperation as e:  # pragma: no cover - the regex admits only valid decimals
        raise InputError(f"invalid {what} {value!r}") from e
    if suffix.startswith("e"):
        return base * (Decimal(10) ** int(suffix[1:]))
    return base * _K8S_MULT[suffix]


def k8s_bytes(value: str | int | float, *, what: str = "memory") -> int:
    """Bytes from a Kubernetes memory quantity, rounded up (the kubelet rounds up too)."""
    q = parse_k8s_quantity(value, what=what)
    return int(q.to_integral_value(rounding=ROUND_CEILING))


def parse_cpus(value: str | int | float, *, what: str = "cpus") -> float:
    """CPU count from `0.5`, `"1.5"` or a Kubernetes millicore quantity `500m`."""
    if isinstance(value, bool):
        raise InputError(f"invalid {what} {value!r}: expected a number of CPUs such as 0.5")
    if isinstance(value, int | float):
        cpus = float(value)
    else:
        cpus = float(parse_k8s_quantity(value, what=what))
    if cpus <= 0:
        raise InputError(f"invalid {what} {value!r}: must be more than 0")
    return cpus


def _exact(n: int, units: tuple[tuple[int, str], ...]) -> str:
    for mult, suffix in units:
        if n and n % mult == 0:
            return f"{n // mult}{suffix}"
    return str(n)


def docker_size(n: int) -> str:
    """`536870912` -> `512m` (the docker CLI's flags)."""
    return _exact(n, ((GiB, "g"), (MiB, "m"), (KiB, "k")))


def compose_size(n: int) -> str:
    """`536870912` -> `512M` (Compose files, as the compose-spec examples write them)."""
    return _exact(n, ((GiB, "G"), (MiB, "M"), (KiB, "K")))


def k8s_size(n: int) -> str:
    """`536870912` -> `512Mi`."""
    return _exact(n, ((GiB, "Gi"), (MiB, "Mi"), (KiB, "Ki")))


def human_size(n: float) -> str:
    """For tables: `536870912` -> `512.0MiB` (docker stats style)."""
    value = float(n)
    for suffix in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or suffix == "TiB":
            return f"{value:.0f}{suffix}" if suffix == "B" else f"{value:.1f}{suffix}"
        value /= 1024
    raise AssertionError("unreachable")


def cpus_text(cpus: float) -> str:
    """`0.5` -> `0.5`, `2.0` -> `2` (docker `--cpus`, Compose `cpus`)."""
    text = f"{cpus:.3f}".rstrip("0").rstrip(".")
    return text or "0"


def k8s_cpu(cpus: float) -> str:
    """`0.5` -> `500m`, `2.0` -> `2`."""
    milli = round(cpus * 1000)
    if milli % 1000 == 0:
        return str(milli // 1000)
    return f"{milli}m"
