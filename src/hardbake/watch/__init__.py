"""Continuous patching: watch the archive, rebuild what changed, test, sign, publish, track SLAs.

    from hardbake.watch import targets, loop, sla
    ts = targets.select(["python:3.13", "my-app.yaml"])
    report = loop.run_once(loop.WatchConfig(targets=ts, mirrors=..., state=StateDB.open(path), ...))

Modules: `targets` (what is watched, parents first), `changes` (lock diff -> decision),
`state` (the SQLite state DB), `vulns` (scans and changelogs -> first seen / fix available),
`rebuild` (build, test, scan, publish one image), `publish` (sign, attest, push, verify, tag),
`loop` (one iteration, and the interval loop), `sla` (policy, evaluation, reports),
`alerts` (terminal, JSON lines, webhook), `duration` (15m, 7d).
"""
