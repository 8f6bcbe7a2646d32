"""Progress lines: only on a terminal, only after the delay, erased at the end, never on stdout."""

import io

from spinefairbench.report.progress import Progress


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_updates_on_a_terminal_and_erases():
    stream = FakeTerminal()
    with Progress("checksums", stream=stream, delay=0.0) as progress:
        progress.update(3, 10, "data/a.json")
    text = stream.getvalue()
    assert "checksums: 3/10 data/a.json" in text
    assert text.endswith("\r")  # the line is blanked out when the task ends


def test_quiet_and_short_runs_are_silent():
    stream = FakeTerminal()
    Progress("x", stream=stream, quiet=True, delay=0.0).update(1, 2)
    Progress("x", stream=stream, delay=60.0).update(1, 2)
    assert stream.getvalue() == ""


def test_command_stdout_is_unchanged_by_progress(capsys, monkeypatch, conformance_bundle):
    from spinefairbench.cli import main

    assert main(["checksums", str(conformance_bundle / "SHA256SUMS.txt")]) == 0
    plain = capsys.readouterr()
    monkeypatch.setattr("sys.stderr", FakeTerminal())
    assert main(["checksums", str(conformance_bundle / "SHA256SUMS.txt")]) == 0
    assert capsys.readouterr().out == plain.out
