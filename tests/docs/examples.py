"""The runnable examples of the documentation: how they are marked, found and run.

A fenced code block is runnable when the line before it (blank lines aside) is
an HTML comment, invisible on the site::

    <!-- runnable -->                 run it: python in one namespace per page, sh with bash
    <!-- runnable file=models.yaml --> write its text to that file (for the blocks after it)
    <!-- runnable exit=3 -->          a shell block that must end with this exit status
    <!-- runnable model -->           it runs a bundled llama.cpp model (the page's test is
                                      marked ``model``)

The blocks of one page run in order in one temporary folder holding a copy of
``examples/``: python blocks in one long-lived interpreter (one namespace), sh
blocks with bash (``-e -o pipefail``) and the real ``champion`` command, with no
``CHAMPION_DB`` or ``CHAMPION_TOKEN`` from the outside. A python block fails on
an exception (``assert`` is how a block checks what it shows), a sh block on an
exit status other than the expected one.
"""

from __future__ import annotations

import json
import os
import select
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("child.py")
MARKER = "<!-- runnable"
LANGUAGES = {"python": "python", "sh": "sh", "bash": "sh", "shell": "sh"}
#: Environment variables that would make an example depend on the machine it runs on.
CLEARED = ("CHAMPION_DB", "CHAMPION_TOKEN", "CHAMPION_STAGE")


class ExampleError(AssertionError):
    """A runnable block failed, or is marked wrongly."""


@dataclass(frozen=True)
class Block:
    """One runnable block of a page."""

    page: Path
    line: int  # the first line of the block's text (1-based)
    kind: str  # "python", "sh" or "file"
    text: str
    file: str | None = None
    exit: int = 0
    model: bool = False

    @property
    def where(self) -> str:
        return f"{_shown(self.page)}:{self.line}"


def _shown(page: Path) -> str:
    return str(page.relative_to(ROOT)) if page.is_relative_to(ROOT) else str(page)


def _options(comment: str, where: str) -> dict[str, str]:
    inner = comment.strip().removeprefix(MARKER).removesuffix("-->").strip()
    options: dict[str, str] = {}
    for word in shlex.split(inner):
        key, _, value = word.partition("=")
        if key not in ("file", "exit", "model"):
            raise ExampleError(f"{where}: unknown runnable option {key!r}")
        options[key] = value
    return options


def blocks_of(page: Path) -> list[Block]:
    """The runnable blocks of a Markdown page, in order."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        if not lines[index].strip().startswith(MARKER):
            index += 1
            continue
        where = f"{_shown(page)}:{index + 1}"
        options = _options(lines[index], where)
        index += 1
        while index < len(lines) and not lines[index].strip():
            index += 1
        fence = lines[index] if index < len(lines) else ""
        indent = len(fence) - len(fence.lstrip())
        if not fence.strip().startswith("```"):
            raise ExampleError(f"{where}: a runnable marker must be followed by a code block")
        language = fence.strip().removeprefix("```").strip().split(" ")[0]
        start = index + 1
        end = start
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        if end == len(lines):
            raise ExampleError(f"{where}: the code block is not closed")
        text = textwrap.dedent("\n".join(line[indent:] if line[:indent].isspace() else line
                                         for line in lines[start:end])) + "\n"
        if "file" in options:
            kind = "file"
        elif language in LANGUAGES:
            kind = LANGUAGES[language]
        else:
            raise ExampleError(f"{where}: a {language or 'plain'} block can only be a file"
                               " (runnable file=NAME)")
        found.append(Block(page, start + 1, kind, text, options.get("file"),
                           int(options.get("exit") or 0), "model" in options))
        index = end + 1
    return found


def pages_with_examples() -> list[Path]:
    """Every documentation page that has a runnable block."""
    return [page for page in sorted((ROOT / "docs").glob("*.md")) if blocks_of(page)]


@dataclass
class Folder:
    """The temporary folder a page's examples run in, and their environment."""

    path: Path
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, base: Path) -> Folder:
        shutil.copytree(ROOT / "examples", base / "examples")
        shims = base / ".bin"
        shims.mkdir()
        champion = shims / "champion"
        champion.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m champion "$@"\n')
        champion.chmod(0o755)
        env = {k: v for k, v in os.environ.items() if k not in CLEARED}
        env["PATH"] = f"{shims}{os.pathsep}{env.get('PATH', '')}"
        env["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT / "src"), str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
        env["COLUMNS"] = "160"
        return cls(base, env)


class Interpreter:
    """One Python process that runs a page's python blocks in one namespace."""

    def __init__(self, folder: Folder) -> None:
        self.log = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 - close()
        read, self._answers = os.pipe()
        self._reply = os.fdopen(read, "r", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, str(CHILD), str(self._answers)], cwd=folder.path, env=folder.env,
            stdin=subprocess.PIPE, stdout=self.log, stderr=subprocess.STDOUT, text=True,
            pass_fds=(self._answers,))
        os.close(self._answers)

    def run(self, block: Block, timeout_s: float) -> None:
        """Run one block; ExampleError with the traceback and output when it fails."""
        assert self.process.stdin is not None
        start = self.log.tell()
        self.process.stdin.write(json.dumps({"code": "\n" * (block.line - 1) + block.text,
                                             "file": str(block.page)}) + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self._reply], [], [], timeout_s)
        answer = json.loads(self._reply.readline() or "null") if ready else None
        if answer is None or not answer["ok"]:
            self.log.seek(start)
            output = self.log.read()
            why = "timed out" if not ready else (answer or {}).get("error", "the process died")
            raise ExampleError(f"{block.where}: the python block failed:\n{why}\n"
                               f"--- its output ---\n{output}")
        self.log.seek(0, os.SEEK_END)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reply.close()
        self.log.close()


def run_shell(block: Block, folder: Folder, timeout_s: float) -> None:
    """Run a sh block with bash; ExampleError unless it ends with its expected status."""
    done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block.text], cwd=folder.path,
                          env=folder.env, capture_output=True, text=True, timeout=timeout_s,
                          check=False)
    if done.returncode != block.exit:
        raise ExampleError(f"{block.where}: the sh block ended with status {done.returncode},"
                           f" not {block.exit}\n--- stdout ---\n{done.stdout}"
                           f"--- stderr ---\n{done.stderr}")


def run_page(page: Path, base: Path, timeout_s: float = 600) -> list[Block]:
    """Run every runnable block of ``page`` in order in ``base``; the blocks run."""
    folder = Folder.create(base)
    interpreter: Interpreter | None = None
    blocks = blocks_of(page)
    try:
        for block in blocks:
            if block.kind == "file":
                assert block.file is not None
                target = folder.path / block.file
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(block.text, encoding="utf-8")
            elif block.kind == "sh":
                run_shell(block, folder, timeout_s)
            else:
                interpreter = interpreter or Interpreter(folder)
                interpreter.run(block, timeout_s)
    finally:
        if interpreter is not None:
            interpreter.close()
    return blocks
