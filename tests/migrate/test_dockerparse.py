"""BuildKit's parser mapped onto the original text; ARG expansion; tokens with offsets."""

from __future__ import annotations

from pathlib import Path

import dockerfile
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardbake.migrate.dockerparse import DockerfileError, expand, parse, unquote, words
from hardbake.migrate.textfile import TextFile


def df_of(text: str):  # type: ignore[no-untyped-def]
    return parse(TextFile(Path("Dockerfile"), text))


def test_stages_names_and_offsets() -> None:
    text = (
        "# c\nARG V=20\nFROM --platform=$BUILDPLATFORM node:${V} AS Build\nRUN a \\\n  b\nfrom build\nCMD x\n"
    )
    df = df_of(text)
    assert df.global_args() == {"V": "20"}
    assert [s.name for s in df.stages] == ["Build", None]
    assert df.stages[0].image == "node:${V}"
    run = df.stages[0].body[0]
    assert (run.start_line, run.end_line) == (4, 5)
    assert df.raw(run) == "RUN a \\\n  b\n"
    assert df.stage_named("build") is df.stages[0]  # stage names are case-insensitive
    assert [t[0] for t in df.words(df.stages[0].from_)] == [
        "FROM",
        "--platform=$BUILDPLATFORM",
        "node:${V}",
        "AS",
        "Build",
    ]
    for t, s, e in df.words(df.stages[0].from_):
        assert text[s:e] == t


def test_heredoc_lines() -> None:
    df = df_of('FROM x\nRUN <<EOF\necho a\necho b\nEOF\nCMD ["y"]\n')
    run = df.stages[0].body[0]
    assert (run.start_line, run.end_line) == (2, 5)
    assert run.heredocs == ("echo a\necho b\n",)


def test_escape_directive() -> None:
    df = df_of("# escape=`\nFROM x\nRUN a `\n  b\n")
    assert df.escape == "`"
    assert [t[0] for t in df.words(df.stages[0].body[0])] == ["RUN", "a", "b"]


def test_continuation_comment_lines_are_skipped() -> None:
    text = "FROM x\nRUN a \\\n# note\n  b\n"
    df = df_of(text)
    assert [t[0] for t in df.words(df.stages[0].body[0])] == ["RUN", "a", "b"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FROM x\nFOO bar\n", "unknown instruction 'FOO'"),
        ("RUN x\nFROM y\n", "RUN before the first FROM"),
        ("ARG A=1\n", "no FROM instruction"),
        ("FROM a b c d\n", "FROM expects IMAGE [AS NAME]"),
        ("FROM x\nENV\n", "ENV needs arguments"),
        ("FROM x\nCOPY a\n", "COPY needs a source and a destination"),
        ("FROM x\nRUN <<EOF\nnever closed\n", "unterminated heredoc"),
        ("", "BuildKit's parser refused it"),
    ],
)
def test_refused(text: str, message: str) -> None:
    with pytest.raises(DockerfileError, match=message.replace("[", r"\[").replace("]", r"\]")):
        df_of(text)


@pytest.mark.parametrize(
    ("text", "env", "want"),
    [
        ("node:${V}", {"V": "20"}, "node:20"),
        ("node:$V-alpine", {"V": "20"}, "node:20-alpine"),
        ("node:${V:-18}", {}, "node:18"),
        ("node:${V:-18}", {"V": None}, "node:18"),  # declared without a value: the default applies
        ("node:${V-18}", {"V": ""}, "node:"),
        ("node:${V:-18}", {"V": ""}, "node:18"),
        ("x${V:+-suffix}", {"V": "1"}, "x-suffix"),
        ("x${V:+-suffix}", {}, "x"),
        ("node:${V}", {"V": None}, None),  # comes from --build-arg only
        ("node:${UNDECLARED}20", {}, "node:20"),
        ("price \\$5", {}, "price $5"),
    ],
)
def test_expand(text: str, env: dict[str, str | None], want: str | None) -> None:
    assert expand(text, env) == want


def test_arg_quotes_and_chains() -> None:
    df = df_of("ARG A=\"3.12\" B='x y' C=${A}-slim D\nFROM python:${C}\n")
    assert df.global_args() == {"A": "3.12", "B": "x y", "C": "3.12-slim", "D": None}


def test_unquote() -> None:
    assert unquote('"a b"') == "a b"
    assert unquote("'a\\b'") == "a\\b"
    assert unquote('"a\\"b"') == 'a"b'
    assert unquote("a\\ b") == "a b"


_line = st.text(alphabet=st.sampled_from(list("abc xyz-=$\\\"'#\t")), max_size=30)


@given(st.lists(_line, min_size=1, max_size=6))
def test_words_are_exact_slices(lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    for tok, s, e in words(text, 0, len(text)):
        assert text[s:e] == tok
        assert tok and not any(c in tok for c in " \t\n")


@given(st.lists(st.from_regex(r"[a-z][a-z0-9 ]{0,20}", fullmatch=True), min_size=1, max_size=5))
def test_parser_line_numbers_cover_the_text(args: list[str]) -> None:
    """Every RUN spans exactly the lines BuildKit's parser says, continuation and all."""
    body = " \\\n    ".join(a.strip() or "true" for a in args)
    text = f'FROM x\nRUN {body}\nCMD ["y"]\n'
    df = df_of(text)
    run = df.stages[0].body[0]
    assert df.raw(run) == f"RUN {body}\n"
    assert [c.cmd for c in dockerfile.parse_string(text)] == ["FROM", "RUN", "CMD"]
