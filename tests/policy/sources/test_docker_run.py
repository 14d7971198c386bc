"""docker run lines are parsed the way the Docker CLI (pflag) parses them."""

from __future__ import annotations

import shlex

from hypothesis import given, settings
from hypothesis import strategies as st

from hardbake.policy.sources.docker_flags import SHORT as _SHORT
from hardbake.policy.sources.docker_run import find_runs, load, parse_args

VALUE_FLAGS = [
    "memory",
    "cpus",
    "user",
    "pids-limit",
    "memory-swap",
    "restart",
    "network",
    "tmpfs",
    "volume",
    "security-opt",
    "cap-drop",
    "cap-add",
    "log-opt",
    "env",
    "name",
    "workdir",
    "label",
]
BOOL_FLAGS = ["read-only", "privileged", "rm", "detach", "init", "no-healthcheck"]
SHORT_OF = {v: k for k, v in _SHORT.items()}


def test_forms_of_flags() -> None:
    opts, image, cmd, notes = parse_args(
        [
            "-dit",
            "-m512m",
            "--cpus=1.5",
            "-u",
            "1000:1000",
            "--read-only=false",
            "--tmpfs",
            "/t:size=1m",
            "-v/a:/b:ro",
            "--network",
            "host",
            "img:1",
            "sh",
            "-c",
            "echo -m 1",
        ]
    )
    assert notes == []
    assert opts["detach"] == opts["interactive"] == opts["tty"] == ["true"]
    assert opts["memory"] == ["512m"] and opts["cpus"] == ["1.5"] and opts["user"] == ["1000:1000"]
    assert opts["read-only"] == ["false"] and opts["volume"] == ["/a:/b:ro"]
    assert image == "img:1" and cmd == [
        "sh",
        "-c",
        "echo -m 1",
    ]  # flags after the image belong to the command


def test_double_dash_and_unknown_flags() -> None:
    opts, image, _, notes = parse_args(["--rm", "--", "img"])
    assert image == "img" and opts == {"rm": ["true"]}
    _, image, _, notes = parse_args(["--nope", "img"])
    assert image == "img" and "unknown flag --nope" in notes[0]
    _, image, _, notes = parse_args(["-Z", "img"])
    assert "unknown shorthand flag -Z" in notes[0]


def test_find_runs_in_shell() -> None:
    text = (
        "#!/bin/sh\n"
        "echo docker run is in a string; true\n"
        "sudo -E docker run \\\n  --rm \\\n  -m 1g alpine:3 echo hi  # trailing comment\n"
        "X=1 Y=2 docker --context prod container run -d nginx:1 && docker run -d redis:7 | tee log\n"
        "docker ps; docker build -t x .\n"
        "podman run --pids-limit 10 busybox\n"
    )
    runs = find_runs(text)
    assert [(line, args[-1] if args else None) for line, _, args in runs] == [
        (3, "hi"),
        (6, "nginx:1"),
        (6, "redis:7"),
        (8, "busybox"),
    ]
    assert runs[0][2] == ["--rm", "-m", "1g", "alpine:3", "echo", "hi"]


def test_wrappers_before_docker() -> None:
    for line in (
        "sudo -E -u ci docker run alpine",
        "env -i PATH=/bin docker run alpine",
        "timeout -s KILL 60 docker run alpine",
        "nice -n 5 nohup docker run alpine",
    ):
        assert [args for _, _, args in find_runs(line)] == [["alpine"]], line
    assert find_runs("docker-compose run web") == []
    assert find_runs("echo docker run alpine") == []


def test_comment_inside_continuation_ends_the_command() -> None:
    [(line, _, args)] = find_runs("docker run \\\n# limits\n-m 1g \\\nimg\n")
    assert line == 1 and args == []


_value = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789:/._,", min_size=1, max_size=12).filter(
    lambda s: not s.startswith("-")
)


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(st.tuples(st.sampled_from(VALUE_FLAGS), _value), max_size=8),
    bools=st.lists(st.sampled_from(BOOL_FLAGS), max_size=4, unique=True),
    styles=st.lists(st.integers(0, 3), min_size=12, max_size=12),
    image=st.from_regex(r"[a-z][a-z0-9]{0,8}(:[a-z0-9]{1,5})?", fullmatch=True),
    command=st.lists(st.text(alphabet="abc -=", min_size=1, max_size=5), max_size=3),
)
def test_rendered_flags_parse_back(
    values: list[tuple[str, str]], bools: list[str], styles: list[int], image: str, command: list[str]
) -> None:
    """Whatever spelling the CLI accepts (--f v, --f=v, -f v, -fv), the parse gives the same options."""
    argv: list[str] = []
    for i, (flag, v) in enumerate(values):
        style = styles[i % len(styles)]
        short = SHORT_OF.get(flag)
        if style == 0 or (style >= 2 and short is None):
            argv += [f"--{flag}", v]
        elif style == 1:
            argv.append(f"--{flag}={v}")
        elif style == 2:
            argv += [f"-{short}", v]
        else:
            argv.append(f"-{short}{v}")
    for b in bools:
        argv.append(f"--{b}")
    opts, got_image, got_cmd, notes = parse_args([*argv, image, *command])
    assert notes == []
    assert got_image == image and got_cmd == command
    expected: dict[str, list[str]] = {}
    for flag, v in values:
        expected.setdefault(flag, []).append(v)
    for b in bools:
        expected.setdefault(b, []).append("true")
    assert opts == expected
    # and the same line inside a script, quoted by shlex, is found and parsed identically
    line = shlex.join(["docker", "run", *argv, image, *command])
    [w] = load(f"set -e\n{line}\n", "run.sh")
    assert w.document["options"] == expected and w.where.line == 2
