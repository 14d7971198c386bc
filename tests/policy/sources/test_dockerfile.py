"""Dockerfiles: the final stage, stage inheritance, ARG substitution, BuildKit's parser."""

from __future__ import annotations

import pytest

from hardbake.errors import InputError
from hardbake.policy.sources.dockerfile import load


def test_final_stage_inherits_from_named_stage_chain() -> None:
    text = (
        "ARG REG=registry.example.com\n"
        "FROM --platform=$BUILDPLATFORM ${REG}/base:1 AS one\n"
        "ENV UID=1001\n"
        "USER ${UID}:${UID}\n"
        "FROM one AS two\n"
        "RUN true\n"
        "FROM two\n"
        'HEALTHCHECK CMD ["/hc"]\n'
    )
    [w] = load(text, "Dockerfile")
    c = w.containers[0]
    assert c.image == "registry.example.com/base:1" and c.base_is_stage
    assert c.user == "1001:1001" and c.run_as_user == 1001 and c.at("user").line == 4
    assert c.healthcheck is True and c.at("healthcheck").line == 8


def test_heredoc_and_continuations_do_not_confuse_lines() -> None:
    text = "FROM debian:12\nRUN <<EOF\nUSER 0\nEOF\nRUN echo a \\\n  b\nUSER 10001\n"
    c = load(text, "Dockerfile")[0].containers[0]
    assert c.user == "10001" and c.at("user").line == 7


def test_not_a_dockerfile() -> None:
    with pytest.raises(InputError, match="at least one FROM"):
        load("RUN true\n", "Dockerfile")
