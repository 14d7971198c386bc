"""Identity rules: a numeric, non-root user that the runtime can verify.

Caught: Kubernetes runAsUser 0 (container or inherited from the pod), runAsNonRoot not true
(PSS restricted requires it); Compose/docker run users `0`, `root`, `0:0`, `root:root`;
Dockerfile `USER 0`/`root`, and a final stage with no USER at all (the base's default user
is then whatever the base says, usually root). A user name instead of a number is flagged
because the kubelet refuses `runAsNonRoot: true` when it cannot prove the name is not root.
"""

from __future__ import annotations

from collections.abc import Iterator

from hardbake.policy.model import Container, Severity, SourceKind
from hardbake.policy.rules.interface import ALL_SOURCES, Refs, Rule, RuleContext, Violation
from hardbake.policy.sources.dockeropts import parse_user

S = Severity
K8S = frozenset({SourceKind.kubernetes})
DOCKERISH = frozenset({SourceKind.compose, SourceKind.docker_run, SourceKind.dockerfile})


def root_user(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    if c.source is SourceKind.kubernetes:
        if c.run_as_user == 0:
            yield Violation("runs as root: runAsUser is 0", c.at("runAsUser"))
        return
    if c.user is not None and "$" not in c.user and parse_user(c.user).root:
        yield Violation(f"runs as root: user {c.user!r}", c.at("user"))


def non_root_enforced(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    if c.source is SourceKind.kubernetes:
        if c.run_as_non_root is not True and c.run_as_user != 0:
            where = c.at("runAsNonRoot") if c.run_as_non_root is False else c.at("securityContext")
            said = "is false" if c.run_as_non_root is False else "is not set"
            yield Violation(
                f"runAsNonRoot {said}: the kubelet will start the image as whatever user it names", where
            )
        return
    if c.user is not None:
        return
    ref = c.image_ref
    hardened = ref is not None and ctx.is_hardened(ref)
    if c.source is SourceKind.dockerfile:
        if c.image is None:
            yield Violation("final stage FROM scratch has no USER: the process runs as uid 0", c.where)
        elif hardened:
            yield Violation(
                "no USER: the hardened base runs as non-root, but say USER 65532 so that runtimes "
                "can verify it",
                c.where,
                S.info,
            )
        else:
            yield Violation(
                "no USER instruction: the container runs as the base image's user (root unless the "
                "base says otherwise)",
                c.where,
            )
    elif not hardened and not c.image_built:
        yield Violation("no user set: runs as the image's default user (often root)", c.where)


def numeric_user(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    if c.user is None or "$" in c.user:
        return
    u = parse_user(c.user)
    if not u.numeric and not u.root:
        yield Violation(
            f"user {c.user!r} is a name: runtimes cannot verify it is not root "
            "(the kubelet refuses runAsNonRoot for named users)",
            c.at("user"),
        )


def root_group(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    if c.source is SourceKind.kubernetes:
        if c.run_as_group == 0:
            yield Violation("primary group is root: runAsGroup is 0", c.at("runAsGroup"))
        return
    if c.user is None or "$" in c.user:
        return
    u = parse_user(c.user)
    if not u.root and ":" in c.user and u.root_group:
        yield Violation(f"primary group is root: user {c.user!r}", c.at("user"))


RULES = (
    Rule(
        "HB-ID-001",
        "runs-as-root",
        "identity",
        "Container runs as root (uid 0)",
        'run as a numeric non-root user: runAsUser: 65532 / user: "65532:65532" / USER 65532',
        root_user,
        S.high,
        S.high,
        S.medium,
        Refs(
            pss="restricted: runAsUser != 0",
            cis="4.1",
            checkov=("CKV_K8S_23", "CKV_DOCKER_8"),
            hadolint=("DL3002",),
        ),
        ALL_SOURCES,
    ),
    Rule(
        "HB-ID-002",
        "non-root-not-enforced",
        "identity",
        "Non-root user is not enforced",
        "Kubernetes: securityContext.runAsNonRoot: true with a numeric runAsUser; Dockerfile: USER 65532; "
        'Compose/docker run: user: "65532:65532" / --user 65532:65532',
        non_root_enforced,
        S.high,
        S.high,
        S.low,
        Refs(pss="restricted: runAsNonRoot true", cis="4.1", checkov=("CKV_K8S_23", "CKV_DOCKER_3")),
        ALL_SOURCES,
    ),
    Rule(
        "HB-ID-003",
        "user-not-numeric",
        "identity",
        "User is a name, not a number",
        "use the numeric uid (and gid): USER 65532:65532",
        numeric_user,
        S.medium,
        S.low,
        None,
        Refs(),
        DOCKERISH,
    ),
    Rule(
        "HB-ID-004",
        "root-group",
        "identity",
        "Primary group is root (gid 0)",
        'use a non-root group: runAsGroup: 65532 / user: "65532:65532"',
        root_group,
        S.low,
        S.info,
        None,
        Refs(),
        ALL_SOURCES,
    ),
)
