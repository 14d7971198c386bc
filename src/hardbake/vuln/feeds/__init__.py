"""Feeds: one module per upstream format, and the order in which content is recognised.

The order matters only where shapes could overlap: more specific shapes are tried first.
"""

from __future__ import annotations

from hardbake.vuln.feeds import changelog, debian_json, debian_lists, kev, nodejs_wg, osv, vuln_list_debian
from hardbake.vuln.feeds.interface import Feed

FEEDS: tuple[Feed, ...] = (
    kev.FEED,
    vuln_list_debian.FEED,
    debian_json.FEED,
    osv.FEED,
    nodejs_wg.FEED,
    debian_lists.FEED,
    changelog.FEED,
)

BY_NAME: dict[str, Feed] = {f.name: f for f in FEEDS}
