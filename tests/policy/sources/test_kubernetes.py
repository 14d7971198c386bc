"""Kubernetes effective values are resolved as the API server and kubelet resolve them."""

from __future__ import annotations

import pytest
import yaml

from hardbake.errors import InputError
from hardbake.policy.model import Role
from hardbake.policy.sources.kubernetes import load

POD = """
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsUser: 1000, runAsGroup: 3000, runAsNonRoot: true, seccompProfile: {type: Localhost}}
  initContainers:
  - name: init
    image: busybox
  containers:
  - name: a
    image: hardbake/base:1
    securityContext: {runAsUser: 2000, seccompProfile: {type: RuntimeDefault}}
    resources: {limits: {cpu: "1", memory: 1Gi}}
  - name: b
    image: hardbake/base:1
    securityContext: {privileged: true, allowPrivilegeEscalation: false}
    resources: {requests: {cpu: 100m}, limits: {cpu: "1"}}
  ephemeralContainers:
  - name: debug
    image: busybox
"""


def test_container_overrides_pod_and_pod_fills_in() -> None:
    [w] = load(POD, "p.yaml")
    init, a, _, debug = w.containers
    assert (init.role, a.role, debug.role) == (Role.init, Role.main, Role.ephemeral)
    assert a.run_as_user == 2000 and a.seccomp == "RuntimeDefault"
    assert a.run_as_group == 3000 and a.run_as_non_root is True  # from the pod
    assert init.run_as_user == 1000 and init.seccomp == "Localhost"
    assert a.at("runAsUser").path == "$.spec.containers[0].securityContext.runAsUser"
    assert init.at("runAsUser").path == "$.spec.securityContext.runAsUser"


def test_requests_default_to_limits_and_privileged_forces_escalation() -> None:
    [w] = load(POD, "p.yaml")
    _, a, b, _ = w.containers
    assert a.resources.cpu_request == "1" and a.resources.memory_request == "1Gi"
    assert b.resources.cpu_request == "100m" and b.resources.memory_request is None
    assert b.allow_privilege_escalation is True  # privileged overrides the false written


def test_every_workload_kind_and_list() -> None:
    docs = []
    spec = {"containers": [{"name": "c", "image": "x"}]}
    for kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"):
        docs.append(
            {
                "apiVersion": "v1",
                "kind": kind,
                "metadata": {"name": kind.lower()},
                "spec": {"template": {"spec": spec}},
            }
        )
    docs.append(
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "cj"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}},
        }
    )
    docs.append(
        {
            "apiVersion": "v1",
            "kind": "List",
            "items": [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}],
        }
    )
    docs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}})
    text = yaml.safe_dump_all(docs)
    ws = load(text, "all.yaml")
    assert [w.name for w in ws] == [
        "Deployment/deployment",
        "StatefulSet/statefulset",
        "DaemonSet/daemonset",
        "ReplicaSet/replicaset",
        "ReplicationController/replicationcontroller",
        "Job/job",
        "CronJob/cj",
        "Pod/p",
    ]
    assert all(w.containers[0].image == "x" for w in ws)
    # the List item's line is the item's own, not the List's
    assert ws[-1].where.path == "$.items[0]" and ws[-1].where.line > 1
    # Jobs and CronJobs are not asked for probes
    assert ws[5].containers[0].healthcheck is None and ws[0].containers[0].healthcheck is False


def test_bad_yaml_is_an_input_error() -> None:
    with pytest.raises(InputError, match="not valid YAML"):
        load("a: [\n", "bad.yaml")
