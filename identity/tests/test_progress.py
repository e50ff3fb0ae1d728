"""Progress of long commands: a bar on a terminal, a line per tenth of the work otherwise."""

import io

from identity.progress import CommandProgress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_without_a_terminal_prints_a_line_per_tenth_and_the_last():
    stream = io.StringIO()
    with CommandProgress(stream).task("users", 95) as advance:
        for _ in range(19):
            advance(5)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "users: 10/95" and lines[-1] == "users: 95/95"
    assert len(lines) == 10


def test_on_a_terminal_draws_a_bar(monkeypatch):
    monkeypatch.delenv("TERM", raising=False)
    monkeypatch.setenv("COLUMNS", "80")
    stream = Terminal()
    progress = CommandProgress(stream)
    assert progress.terminal
    with progress.task("users", 4) as advance:
        advance(4)
    output = stream.getvalue()
    assert "users" in output and "4/4" in output
    assert "users: 4/4" not in output  # the plain line is for non-terminals
