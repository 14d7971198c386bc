from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardbake.errors import InputError
from hardbake.runtime.units import (
    GiB,
    MiB,
    compose_size,
    cpus_text,
    docker_size,
    k8s_bytes,
    k8s_cpu,
    k8s_size,
    parse_cpus,
    parse_k8s_quantity,
    parse_size,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("512m", 512 * MiB),
        ("512M", 512 * MiB),
        ("512MiB", 512 * MiB),
        ("512mi", 512 * MiB),
        ("1g", GiB),
        ("1.5g", 3 * GiB // 2),
        ("4096", 4096),
        ("100b", 100),
        ("10k", 10 * 1024),
        (256, 256),
    ],
)
def test_docker_sizes_are_binary_like_go_units(text: str | int, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("bad", ["", "m", "12x", "-5m", "1.5.5g", "ten", True, 1.5])
def test_bad_docker_sizes_are_refused_with_the_expected_form(bad: object) -> None:
    with pytest.raises(InputError):
        parse_size(bad)  # type: ignore[arg-type]


def test_kubernetes_M_is_decimal_but_Mi_binary() -> None:
    assert k8s_bytes("512M") == 512_000_000
    assert k8s_bytes("512Mi") == 512 * MiB
    assert k8s_bytes("1Gi") == GiB
    assert parse_k8s_quantity("250m") == Decimal("0.25")
    assert parse_k8s_quantity("1e3") == Decimal(1000)
    assert parse_cpus("500m") == 0.5
    assert parse_cpus(2) == 2.0
    with pytest.raises(InputError):
        parse_cpus("0")
    with pytest.raises(InputError):
        parse_k8s_quantity("12 Mi")


@given(st.integers(min_value=1, max_value=2**44))
def test_docker_and_compose_sizes_round_trip(n: int) -> None:
    assert parse_size(docker_size(n)) == n
    assert parse_size(compose_size(n)) == n


@given(st.integers(min_value=1, max_value=2**44))
def test_kubernetes_sizes_round_trip(n: int) -> None:
    assert k8s_bytes(k8s_size(n)) == n


@given(st.integers(min_value=1, max_value=64_000))
def test_cpu_texts_round_trip(milli: int) -> None:
    cpus = milli / 1000
    assert parse_cpus(k8s_cpu(cpus)) == pytest.approx(cpus)
    assert parse_cpus(cpus_text(cpus)) == pytest.approx(cpus)


@given(st.text(max_size=12))
def test_parsers_never_fail_with_anything_but_input_error(text: str) -> None:
    for parse in (parse_size, parse_k8s_quantity, parse_cpus):
        with contextlib.suppress(InputError):
            parse(text)


def test_shortest_exact_forms() -> None:
    assert docker_size(512 * MiB) == "512m"
    assert compose_size(GiB) == "1G"
    assert k8s_size(256 * MiB) == "256Mi"
    assert docker_size(1000) == "1000"
    assert k8s_cpu(0.25) == "250m"
    assert k8s_cpu(2.0) == "2"
    assert cpus_text(0.5) == "0.5"
