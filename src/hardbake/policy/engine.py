"""The evaluator: built-in rules and custom Rego over workloads, in the right profile.

`Policy` is built once (configuration, compiled Rego, an optional signature verifier) and
then evaluates any number of workloads; the webhook keeps one for its lifetime.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from hardbake.errors import ToolMissing
from hardbake.policy.config import PolicyConfig
from hardbake.policy.findings import Finding
from hardbake.policy.model import Container, Severity, SourceKind, Workload
from hardbake.policy.rego import RegoPolicies
from hardbake.policy.rules import RULES, Profile, Rule, RuleContext, SignatureVerifier


class Policy:
    def __init__(
        self,
        config: PolicyConfig | None = None,
        *,
        rego: RegoPolicies | None = None,
        verifier: SignatureVerifier | None = None,
    ) -> None:
        self.config = config or PolicyConfig()
        self.rego = rego
        self.context = RuleContext(tuple(self.config.allowed_registries), verifier)
        # resolved once: (rule, severity) per profile and source
        self._active: dict[tuple[Profile, SourceKind], tuple[tuple[Rule, Severity], ...]] = {}
        self._refs = {r.id: tuple(r.refs.as_list()) for r in RULES}
        for prof in Profile:
            for src in SourceKind:
                active = []
                for r in RULES:
                    sev = self.config.rule_severity(r.id, prof)
                    if sev is not None and src in r.sources:
                        active.append((r, sev))
                self._active[(prof, src)] = tuple(active)
        if verifier is None and any(self.config.rule_severity("HB-IMG-004", p) is not None for p in Profile):
            raise ToolMissing(
                "rule HB-IMG-004 (image signatures) is enabled but no signature verifier is configured",
                hint="add `signature: {command: [..., '{image}']}` to the policy config, "
                "or disable HB-IMG-004",
            )

    def profile_for(self, w: Workload, explicit: Profile | None = None) -> Profile:
        if explicit is not None:
            return explicit
        return self.config.profile_for(
            namespace=w.namespace if w.source is SourceKind.kubernetes else None, file=w.file
        )

    def evaluate(self, w: Workload, profile: Profile | None = None) -> list[Finding]:
        prof = self.profile_for(w, profile)
        out: dict[tuple[str, str, int, str, str], Finding] = {}
        for c in w.containers:
            for rule, sev in self._active[(prof, c.source)]:
                for v in rule.check(c, self.context):
                    severity = min(sev, v.severity) if v.severity is not None else sev
                    key = (rule.id, v.where.file, v.where.line, v.where.path, v.message)
                    if key in out:
                        continue  # pod-level settings seen from each container
                    out[key] = Finding(
                        file=v.where.file,
                        line=v.where.line,
                        rule_id=rule.id,
                        severity=severity,
                        message=v.message,
                        fix=rule.fix,
                        path=v.where.path,
                        workload=w.name,
                        container=c.name,
                        source=c.source.value,
                        profile=prof.value,
                        title=rule.title,
                        refs=self._refs[rule.id],
                        namespace=c.namespace,
                    )
        findings = list(out.values())
        if self.rego is not None:
            findings.extend(self._rego(w, prof))
        return findings

    def _rego(self, w: Workload, prof: Profile) -> list[Finding]:
        doc = w.document if isinstance(w.document, dict) else {"value": w.document}
        results = self.rego.evaluate({**doc, "hardbake": self.view(w, prof)}) if self.rego else []
        return [
            Finding(
                file=w.file,
                line=w.where.line,
                rule_id=r.rule_id,
                severity=r.severity,
                message=r.message,
                fix="see the custom policy " + r.package,
                path=w.where.path,
                workload=w.name,
                source=w.source.value,
                profile=prof.value,
                title=f"custom policy {r.package}.{r.rule}",
                namespace=w.namespace,
            )
            for r in results
        ]

    def view(self, w: Workload, prof: Profile) -> dict[str, Any]:
        """hardbake's normalised view of a workload, as custom policies see it (`input.hardbake`)."""
        return {
            "source": w.source.value,
            "file": w.file,
            "workload": w.name,
            "namespace": w.namespace,
            "profile": prof.value,
            "containers": [self._container_view(c) for c in w.containers],
        }

    def _container_view(self, c: Container) -> dict[str, Any]:
        ref = c.image_ref
        return {
            "name": c.name,
            "role": c.role.value,
            "line": c.where.line,
            "image": c.image,
            "image_ref": None
            if ref is None
            else {
                "registry": ref.registry,
                "repository": ref.repository,
                "tag": ref.tag,
                "digest": ref.digest,
                "canonical": ref.canonical,
            },
            "hardened": ref is not None and self.context.is_hardened(ref),
            "user": c.user,
            "run_as_user": c.run_as_user,
            "run_as_group": c.run_as_group,
            "run_as_non_root": c.run_as_non_root,
            "allow_privilege_escalation": c.allow_privilege_escalation,
            "privileged": c.privileged,
            "capabilities": {"add": list(c.cap_add), "drop": list(c.cap_drop)},
            "host_network": c.host_network,
            "host_pid": c.host_pid,
            "host_ipc": c.host_ipc,
            "seccomp": c.seccomp,
            "read_only_root": c.read_only_root,
            "tmpfs": [{"target": t.target, "options": sorted(t.options), "size": t.size} for t in c.tmpfs],
            "host_mounts": [asdict(m) for m in c.mounts],
            "resources": asdict(c.resources),
            "healthcheck": c.healthcheck,
            "restart": c.restart,
            "log_rotation": c.log_rotation,
        }
