"""The RUN lexer: simple commands and their words, with offsets in the original text."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardbake.migrate.execform import shell_feature, to_exec
from hardbake.migrate.shellscan import ScanError, commands


def scan(text: str) -> list[tuple[str | None, list[str]]]:
    return [(c.op_before, [w.text for w in c.args]) for c in commands(text, 0, len(text))]


def test_operators_and_prefixes() -> None:
    text = "set -eux; FOO=1 sudo apk add --no-cache a \\\n    b && adduser -D app || true | tee /x"
    assert scan(text) == [
        (None, ["set", "-eux"]),
        (";", ["apk", "add", "--no-cache", "a", "b"]),
        ("&&", ["adduser", "-D", "app"]),
        ("||", ["true"]),
        ("|", ["tee", "/x"]),
    ]


def test_quotes_substitutions_redirections() -> None:
    text = 'echo "a b" \'c d\' $(cat "x y") ${HOME} `id` > /etc/out 2>&1'
    (cmd,) = commands(text, 0, len(text))
    assert [w.text for w in cmd.args] == ["echo", "a b", "c d", '$(cat "x y")', "${HOME}", "`id`"]
    assert [w.text for w in cmd.redirect_targets()] == ["/etc/out"]


def test_heredoc_bodies_are_skipped() -> None:
    text = "cat <<EOF > /a\napk add nope\nEOF\necho done"
    assert scan(text) == [(None, ["cat"]), ("\n", ["echo", "done"])]


def test_keywords_and_comment_lines() -> None:
    assert scan("if [ -f x ]; then apk add y; fi") == [
        (None, ["[", "-f", "x", "]"]),
        (";", ["apk", "add", "y"]),
        (";", ["fi"]),
    ]
    assert scan("a \\\n  # a comment line BuildKit drops\n  b") == [(None, ["a", "b"])]


def test_unterminated_quote() -> None:
    with pytest.raises(ScanError):
        commands("echo 'oops", 0, 9)


_word = st.from_regex(r"[A-Za-z0-9_./:=+-]{1,12}", fullmatch=True).filter(lambda w: not w.startswith("#"))
_cmd = st.lists(_word, min_size=1, max_size=5)


@given(st.lists(_cmd, min_size=1, max_size=5), st.sampled_from([" && ", "; ", " || ", " | ", " \\\n    && "]))
def test_commands_round_trip(cmds: list[list[str]], sep: str) -> None:
    text = sep.join(" ".join(shlex.quote(w) for w in c) for c in cmds)
    found = commands(text, 0, len(text))
    assert len(found) == len(cmds)
    for c, words in zip(found, cmds, strict=True):
        assert [w.text for w in c.words] == words
        for w in c.words:
            assert shlex.split(text[w.start : w.end]) == [w.text]


@given(
    st.lists(
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=10),
        min_size=1,
        max_size=5,
    )
)
def test_exec_form_is_exact_when_no_shell_feature(argv: list[str]) -> None:
    command = shlex.join(argv)
    got, why = to_exec(command)
    if shell_feature(command) is None and argv[0] != "exec" and "=" not in argv[0]:
        assert got == argv, why


@pytest.mark.parametrize(
    ("command", "argv"),
    [
        ("node server.js", ["node", "server.js"]),
        ("exec gunicorn -b 0.0.0.0:8000 app:app", ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]),
        ("python -c 'print(1)'", ["python", "-c", "print(1)"]),
        ('java "-Dx=a b" -jar app.jar', ["java", "-Dx=a b", "-jar", "app.jar"]),
    ],
)
def test_to_exec(command: str, argv: list[str]) -> None:
    assert to_exec(command) == (argv, "")


@pytest.mark.parametrize(
    "command",
    [
        "node $APP",
        'node "${APP}"',
        "a && b",
        "a | b",
        "a > log",
        "PORT=1 node x",
        "node *.js",
        "a; b",
        "a # c",
        "",
    ],
)
def test_to_exec_refuses(command: str) -> None:
    got, why = to_exec(command)
    assert got is None and why
