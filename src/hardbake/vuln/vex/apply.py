"""Which VEX statement applies to a finding: scope, trust, then precedence.

Rules (issue 8), in order:

1. Scope. A statement applies to a finding when it names the finding's id or an alias and
   one of its products covers the finding's package *in this target*: a package purl that
   matches the package (`vex.purl.matches_package`), or an image product that is this
   target (by digest; by repository name only when trusted) — with the package among its
   subcomponents, or with no subcomponents (the whole image). A statement scoped to
   another image or product does not apply.
2. Trust. A versionless product (a package purl without a version, an image without a
   digest) applies only when the statement's author is trusted (`vex_trust`). Authors match
   by the whole string, the name before `<`, or the e-mail inside `<...>`.
3. Precedence. Among applicable statements, trusted outranks untrusted (a trusted
   `affected` beats an untrusted `not_affected`); within the same trust, the newest
   timestamp wins; on an exact tie the more cautious status wins (affected >
   under_investigation > fixed > not_affected). The winner is recorded on the finding with
   the statements it outranked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from hardbake.vuln.interface import InstalledPackage, ScanTarget
from hardbake.vuln.result import Finding, VexDecision
from hardbake.vuln.vex import purl as purls
from hardbake.vuln.vex.interface import Product, Statement

_CAUTION = {"not_affected": 0, "fixed": 1, "under_investigation": 2, "affected": 3}
_EMAIL = re.compile(r"<([^>]+)>")


def author_trusted(author: str, trusted: Iterable[str]) -> bool:
    a = author.strip().lower()
    names = {a, a.split("<")[0].strip()}
    m = _EMAIL.search(a)
    if m:
        names.add(m[1].strip())
    return any(t.strip().lower() in names for t in trusted if t.strip())


def _package_ok(purl: str, pkg: InstalledPackage, trusted: bool) -> bool:
    p = purls.parse(purl)
    if p is None or purls.is_image(p):
        return False
    if purls.is_versionless(p) and not trusted:
        return False
    return purls.matches_package(p, pkg)


def product_applies(prod: Product, pkg: InstalledPackage, target: ScanTarget, trusted: bool) -> bool:
    p = purls.parse(prod.purl) if prod.purl else None
    if (p is not None and purls.is_image(p)) or (p is None and prod.digests):
        if prod.digests:
            is_target = target.digest is not None and target.digest in prod.digests
        elif p is not None and purls.image_digest(p):
            is_target = purls.matches_image(p, target)
        else:
            is_target = trusted and p is not None and purls.matches_image(p, target)
        if not is_target:
            return False
        return not prod.subcomponents or any(_package_ok(s, pkg, trusted) for s in prod.subcomponents)
    if prod.purl is None:
        return False
    if prod.subcomponents:
        # a package product with its dependencies: the product must be installed here too
        scope_present = any(_package_ok(prod.purl, other, trusted) for other in target.packages)
        return scope_present and any(_package_ok(s, pkg, trusted) for s in prod.subcomponents)
    return _package_ok(prod.purl, pkg, trusted)


def decide(
    finding: Finding, statements: Sequence[Statement], target: ScanTarget, trust: Iterable[str]
) -> VexDecision | None:
    ids = {finding.id, *finding.aliases}
    trust = list(trust)
    cands: list[tuple[bool, Statement]] = []
    for s in statements:
        if not ids.intersection(s.ids):
            continue
        t = author_trusted(s.author, trust)
        if any(product_applies(p, finding.package, target, t) for p in s.products):
            cands.append((t, s))
    if not cands:
        return None
    cands.sort(key=lambda c: (c[0], c[1].timestamp, _CAUTION[c[1].status]), reverse=True)
    t, win = cands[0]
    overridden = tuple(
        f"{s.author or '?'} {s.status} {s.timestamp.isoformat()} ({s.document})" for _, s in cands[1:]
    )
    return VexDecision(
        win.status,
        win.justification,
        win.impact_statement or win.status_notes,
        win.author,
        t,
        win.timestamp.isoformat(),
        win.document,
        win.statement_id,
        overridden,
    )


def apply(
    findings: Iterable[Finding],
    statements: Sequence[Statement],
    target: ScanTarget,
    trust: Iterable[str] = (),
) -> list[Finding]:
    trust = list(trust)
    return [f.with_vex(decide(f, statements, target, trust)) if statements else f for f in findings]
