"""The public checking API: files, texts and objects in, a `CheckResult` out.

    from hardbake.policy.check import check_paths, check_compose, check_kubernetes, check_docker_run
    result = check_compose(Path("compose.yaml").read_text(), profile="production")
    blocking = result.at_or_above(Severity.high)

Every function takes the same keyword options: `profile` (a `Profile` or its name; None
lets the config's namespace/path maps and default decide), `config` (a `PolicyConfig`, a path
to a YAML config, or None for the defaults), `rego` (compiled `RegoPolicies` or a directory),
`verifier` (for the off-by-default signature rule). Build a `Policy` once and pass it as
`policy=` to check many inputs without recompiling.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hardbake.errors import InputError
from hardbake.policy.config import PolicyConfig, load_config
from hardbake.policy.engine import Policy
from hardbake.policy.findings import CheckResult, Finding
from hardbake.policy.model import Severity, SourceKind, Workload
from hardbake.policy.positions import ParseError
from hardbake.policy.rego import RegoPolicies
from hardbake.policy.rules import BY_ID, Profile, SignatureVerifier
from hardbake.policy.signature import CommandVerifier
from hardbake.policy.sources import SOURCES, discover, load_yaml
from hardbake.policy.sources.interface import DocContext
from hardbake.policy.sources.kubernetes import workload_from_object


def build_policy(
    config: PolicyConfig | Path | str | None = None,
    rego: RegoPolicies | Path | str | None = None,
    verifier: SignatureVerifier | None = None,
) -> Policy:
    """A reusable `Policy` from a config (object or file), Rego (compiled or a directory), a verifier."""
    cfg = config if isinstance(config, PolicyConfig) else load_config(Path(config) if config else None)
    compiled = rego if isinstance(rego, RegoPolicies) or rego is None else RegoPolicies.load(Path(rego))
    if verifier is None and cfg.signature is not None:
        verifier = CommandVerifier(cfg.signature.command, cfg.signature.timeout)
    return Policy(cfg, rego=compiled, verifier=verifier)


def _profile(profile: Profile | str | None) -> Profile | None:
    if profile is None or isinstance(profile, Profile):
        return profile
    try:
        return Profile(profile)
    except ValueError:
        raise InputError(f"unknown profile {profile!r}", hint="use dev, staging or production") from None


def _result(
    policy: Policy, workloads: list[Workload], profile: Profile | None, files: Sequence[str]
) -> CheckResult:
    findings: list[Finding] = []
    for w in workloads:
        findings.extend(policy.evaluate(w, profile))
    return CheckResult(
        findings=tuple(sorted(findings, key=lambda f: (f.file, f.line, -f.severity, f.rule_id, f.message))),
        files=tuple(files),
        workloads=len(workloads),
        containers=sum(len(w.containers) for w in workloads),
    )


def check_workloads(
    workloads: list[Workload],
    *,
    profile: Profile | str | None = None,
    policy: Policy | None = None,
    config: PolicyConfig | Path | str | None = None,
    rego: RegoPolicies | Path | str | None = None,
    verifier: SignatureVerifier | None = None,
) -> CheckResult:
    pol = policy or build_policy(config, rego, verifier)
    files = sorted({w.file for w in workloads})
    return _result(pol, workloads, _profile(profile), files)


def check_paths(
    paths: Sequence[Path | str],
    *,
    profile: Profile | str | None = None,
    policy: Policy | None = None,
    config: PolicyConfig | Path | str | None = None,
    rego: RegoPolicies | Path | str | None = None,
    verifier: SignatureVerifier | None = None,
) -> CheckResult:
    """Check files and directories (discovered as docs/policy.md says)."""
    pol = policy or build_policy(config, rego, verifier)
    workloads: list[Workload] = []
    files: list[str] = []
    unreadable: list[Finding] = []
    for path, loader, explicit in discover([Path(p) for p in paths]):
        try:
            text = path.read_text()
            files.append(str(path))
            workloads.extend(loader(text, str(path)))
        except (ParseError, UnicodeDecodeError) as e:
            if explicit:  # the user named this file: not being able to read it is an input error
                if isinstance(e, ParseError):
                    raise
                raise InputError(f"{path}: not a text file") from e
            # found while walking a directory (a Helm template, a binary *.yaml): report, go on
            unreadable.append(_unreadable(path, e))
        except OSError as e:
            raise InputError(f"cannot read {path}: {e.strerror}") from e
    result = _result(pol, workloads, _profile(profile), files)
    if not unreadable:
        return result
    merged = sorted((*result.findings, *unreadable), key=lambda f: (f.file, f.line, -f.severity, f.rule_id))
    return CheckResult(tuple(merged), result.files, result.workloads, result.containers)


def _unreadable(path: Path, e: Exception) -> Finding:
    rule = BY_ID["HB-SRC-001"]
    line = e.line if isinstance(e, ParseError) else 1
    why = e.message if isinstance(e, ParseError) else "not a UTF-8 text file"
    return Finding(
        file=str(path),
        line=line,
        rule_id=rule.id,
        severity=Severity.medium,
        message=f"could not be checked: {why}",
        fix="render templates before checking, or fix the syntax",
        workload=path.name,
        source="file",
        title=rule.title,
    )


def check_text(
    text: str,
    kind: SourceKind | str,
    *,
    file: str = "<input>",
    profile: Profile | str | None = None,
    policy: Policy | None = None,
    config: PolicyConfig | Path | str | None = None,
    rego: RegoPolicies | Path | str | None = None,
    verifier: SignatureVerifier | None = None,
) -> CheckResult:
    """Check one text of a known kind: kubernetes, compose, dockerfile or docker-run."""
    k = SourceKind(kind)
    workloads = SOURCES[k](text, file)
    return check_workloads(
        workloads, profile=profile, policy=policy, config=config, rego=rego, verifier=verifier
    )


def check_kubernetes(text: str, **kw: Any) -> CheckResult:
    """Kubernetes YAML (multi-document, `kind: List`)."""
    return check_text(text, SourceKind.kubernetes, **kw)


def check_compose(text: str, **kw: Any) -> CheckResult:
    """A Compose file's YAML."""
    return check_text(text, SourceKind.compose, **kw)


def check_dockerfile(text: str, **kw: Any) -> CheckResult:
    """A Dockerfile (its final stage)."""
    return check_text(text, SourceKind.dockerfile, **kw)


def check_docker_run(text: str, **kw: Any) -> CheckResult:
    """One or more `docker run` command lines (a shell script is fine)."""
    return check_text(text, SourceKind.docker_run, **kw)


def check_yaml(text: str, *, file: str = "<input>", **kw: Any) -> CheckResult:
    """YAML that may hold Kubernetes objects and/or a Compose file."""
    return check_workloads(load_yaml(text, file), **kw)


def check_object(
    obj: dict[str, Any],
    *,
    namespace: str | None = None,
    file: str = "<object>",
    profile: Profile | str | None = None,
    policy: Policy | None = None,
    **kw: Any,
) -> CheckResult:
    """One Kubernetes object already parsed (the webhook's and the audit's entry point)."""
    w = workload_from_object(obj, DocContext(file), namespace)
    return check_workloads([w] if w else [], profile=profile, policy=policy, **kw)
