"""Ctrl-C and SIGTERM at any moment of a real run on a bundled model end cleanly.

Each test starts a real ``champion run`` on the bundled SmolLM2 (in process,
through llama.cpp), sends a signal at a chosen moment, and checks what a user
relies on: exit 130 (143 for SIGTERM), never a crash; ``run <id> started`` as
the first line; the run stored as ``interrupted`` with every trial measured so
far; the resume command printed; and ``--resume`` finishing the run.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from champion._store import Store
from tests.conftest import ROOT

pytestmark = pytest.mark.model

# Long answers: a trial takes long enough that a signal lands inside a generation.
STORY = """\
task: stories
prompt:
  user: "Write a long story about {thing}."
output: {kind: text}
check: {type: contains, ignore_case: true}
repeats: 1
params: {max_tokens: 160, timeout_s: 120}
cases:
  - {id: A, vars: {thing: cats}, expected: cat}
  - {id: B, vars: {thing: dogs}, expected: dog}
  - {id: C, vars: {thing: birds}, expected: bird}
"""


class Run:
    """A ``champion run`` subprocess whose output is read line by line as it comes."""

    def __init__(self, args: list[str], *, terminal: bool = False) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "120"}
        self.lines: list[str] = []
        self._buffer = ""
        if terminal:
            self._fd, child = pty.openpty()
            env["TERM"] = "xterm-256color"
            self.process = subprocess.Popen(
                [sys.executable, "-m", "champion", *args], stdin=child, stdout=child,
                stderr=child, cwd=ROOT, env=env, close_fds=True)
            os.close(child)
        else:
            env.pop("TERM", None)
            read, write = os.pipe()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "champion", *args], stdout=write,
                stderr=subprocess.STDOUT, cwd=ROOT, env=env)
            os.close(write)
            self._fd = read
        self.raw = b""

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self._fd], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self._fd, 65536)
        except OSError:  # a pty reports the child's exit as an error
            data = b""
        if not data:
            return False
        self.raw += data
        self._buffer += data.decode("utf-8", "replace")
        *complete, self._buffer = re.split(r"\r?\n", self._buffer)
        self.lines.extend(complete)
        return True

    def wait_for(self, pattern: str, timeout: float = 120.0) -> str:
        """The first output line matching ``pattern`` (waiting for it)."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        seen = 0
        while time.monotonic() < deadline:
            for line in self.lines[seen:]:
                if regex.search(line):
                    return line
            seen = len(self.lines)
            if regex.search(self._buffer):  # a progress bar redraws one line with \r
                return self._buffer
            if not self._read(0.05) and self.process.poll() is not None:
                break
        raise AssertionError(f"no line matching {pattern!r} in {self.lines!r}")

    def finish(self, timeout: float = 120.0) -> int:
        """Read everything until the process ends; its exit status."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._read(0.1):
            if self.process.poll() is not None:
                while self._read(0.05):
                    if not select.select([self._fd], [], [], 0)[0]:
                        break
                break
        self.lines.append(self._buffer)
        self._buffer = ""
        os.close(self._fd)
        return self.process.wait(timeout=max(1.0, deadline - time.monotonic()))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def story(tmp_path: Path) -> Path:
    path = tmp_path / "stories.yaml"
    path.write_text(STORY)
    return path


def _run_args(story: Path, db: str) -> list[str]:
    return ["run", str(story), "-m", "llamacpp/builtin:smollm2-135m", "--db", db,
            "--strategy", "full"]


def _started(run: Run) -> str:
    first = run.wait_for(r"\S")
    match = re.fullmatch(r"run ([0-9a-f]{12}) started", first.strip())
    assert match, f"the first line is {first!r}"
    return match.group(1)


def _check_stopped(run: Run, status: int, expected: int, run_id: str, db: str) -> int:
    assert status == expected, run.text  # never -11 (a crash), never 1 (a traceback)
    assert "Traceback" not in run.text
    assert f"--resume {run_id}" in run.text
    with Store(db) as store:
        stored = store.load_run(run_id)
        assert stored.status == "interrupted"
        return len(stored.trials)


@pytest.mark.parametrize(("moment", "signum", "expected"), [
    ("loading", signal.SIGINT, 130),
    ("generating", signal.SIGINT, 130),
    ("generating", signal.SIGTERM, 143),
])
def test_a_signal_mid_run_ends_cleanly_and_the_run_resumes(
        story: Path, tmp_path: Path, moment: str, signum: int, expected: int) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    run = Run(_run_args(story, db))
    run_id = _started(run)
    if moment == "loading":
        run.wait_for(r"smollm2-135m: loading")
    else:
        run.wait_for(r"smollm2-135m: cold start")
        time.sleep(0.6)  # a trial of 160 tokens takes seconds: this is inside one
    run.process.send_signal(signum)
    stored = _check_stopped(run, run.finish(), expected, run_id, db)
    assert stored < 3

    resumed = Run([*_run_args(story, db)[:2], "--resume", run_id, "--db", db])
    assert _started(resumed) == run_id
    assert resumed.finish() == 0, resumed.text
    with Store(db) as store:
        done = store.load_run(run_id)
    assert done.status == "complete"
    assert sorted((t.case_id, t.batch) for t in done.trials) == [("A", 0), ("B", 0), ("C", 0)]


def test_on_a_terminal_the_cursor_comes_back_after_ctrl_c(story: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    run = Run(_run_args(story, db), terminal=True)
    run_id = _started(run)
    run.wait_for(r"cold start")  # the progress bars are drawn, the model loaded
    time.sleep(0.6)
    run.process.send_signal(signal.SIGINT)
    status = run.finish()
    assert status == 130, run.text
    hidden, shown = run.raw.rfind(b"\x1b[?25l"), run.raw.rfind(b"\x1b[?25h")
    assert hidden != -1 and shown > hidden, "the cursor stayed hidden"
    assert f"--resume {run_id}" in run.text


@pytest.fixture
def stalled_server() -> Iterator[str]:
    """An endpoint that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def test_a_signal_before_anything_is_stored_exits_130_saying_so(
        story: Path, tmp_path: Path, stalled_server: str) -> None:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    # Listing the models of a server that never answers: no run has begun yet.
    run = Run(["run", str(story), "-m", f"ollama/*@{stalled_server}", "--db", db])
    time.sleep(2.0)
    assert run.process.poll() is None, run.text
    run.process.send_signal(signal.SIGINT)
    assert run.finish(timeout=30) == 130, run.text
    assert "interrupted before anything was stored" in run.text
    assert "Traceback" not in run.text
    with Store(db) as store:
        assert store.run_ids() == []
