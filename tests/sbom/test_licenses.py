"""Licence names -> SPDX: DEP-5 short names, PyPI strings and classifiers; never a guess."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from spdx_tools.common.spdx_licensing import spdx_licensing

from hardbake.sbom import dep5
from hardbake.sbom.licenses import combine, to_spdx


@pytest.mark.parametrize(
    ("declared", "spdx"),
    [
        ("GPL-2+", "GPL-2.0-or-later"),
        ("GPL-2", "GPL-2.0-only"),
        ("LGPL-2.1+", "LGPL-2.1-or-later"),
        ("AGPL-3", "AGPL-3.0-only"),
        ("GFDL-1.3+", "GFDL-1.3-or-later"),
        ("Expat", "MIT"),
        ("BSD-3-clause", "BSD-3-Clause"),
        ("zlib", "Zlib"),
        ("Apache-2.0", "Apache-2.0"),
        ("GPL-2+ or Artistic", "GPL-2.0-or-later OR Artistic-1.0-Perl"),
        ("GPL-2+ and BSD-3-clause, and Expat", "GPL-2.0-or-later AND BSD-3-Clause AND MIT"),
        ("GPL-3+ with Autoconf-3.0 exception", "GPL-3.0-or-later WITH Autoconf-exception-3.0"),
        ("License :: OSI Approved :: MIT License", "MIT"),
        ("MIT License", "MIT"),
        ("Python Software Foundation License", "PSF-2.0"),
        ("(MIT OR Apache-2.0)", "MIT OR Apache-2.0"),
    ],
)
def test_known_names_map(declared: str, spdx: str) -> None:
    assert to_spdx(declared) == spdx


@pytest.mark.parametrize(
    "declared",
    [
        "public-domain",
        "BSD",
        "GPL",
        "Apache Software License",
        "GPL-2+ with OpenSSL exception",
        "permissive",
        "",
    ],
)
def test_ambiguous_names_are_not_guessed(declared: str) -> None:
    assert to_spdx(declared) is None


def test_combine_keeps_names_and_conjoins_expressions() -> None:
    lic = combine(["GPL-2+", "Expat", "GPL-2+"])
    assert lic.declared == ("GPL-2+", "Expat")
    assert lic.expression == "GPL-2.0-or-later AND MIT"
    partial = combine(["GPL-2", "public-domain"])
    assert partial.declared == ("GPL-2", "public-domain") and partial.expression is None
    assert not combine([]).known


@given(st.text(max_size=60))
def test_any_text_gives_none_or_a_valid_expression(text: str) -> None:
    out = to_spdx(text)
    if out is not None:
        assert not spdx_licensing.validate(out).errors


DEP5 = b"""Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: demo
Source: https://example.org

Files: *
Copyright: 2020 Someone
License: GPL-2+
 This program is free software.

Files: lib/*
Copyright: 2021 Other
License: Expat

Files: debian/*
Copyright: 2022 Packager
License: GPL-2+

License: GPL-2+
 The full text.

License: Expat
 Permission is hereby granted.
"""


def test_dep5_files_licences_in_order() -> None:
    assert dep5.declared_licenses(DEP5) == ("GPL-2+", "Expat")


def test_free_form_copyright_declares_nothing() -> None:
    assert dep5.declared_licenses(b"This is Debian's prepackaged version of foo.\n\nCopyright: GPL\n") is None


@given(st.binary(max_size=400))
def test_dep5_never_raises(data: bytes) -> None:
    out = dep5.declared_licenses(data)
    assert out is None or isinstance(out, tuple)
