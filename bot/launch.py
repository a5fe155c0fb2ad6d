"""The `resolute` console script: the command line, started so that a question is answered quickly.

A one-shot command that only reads (`resolute ask`) spends most of a cold start importing Chroma,
SQLAlchemy, SciPy and onnxruntime, and two things Python does by default add a fifth to that: it
collects garbage again and again while those imports create hundreds of thousands of long-lived
objects, and at exit it tears every module down one by one. For such a command the script collects
nothing (the process ends within seconds) and, once the answer is written and flushed, ends the
process without the teardown. Every other command, `serve` above all, runs as usual.
"""

from __future__ import annotations

import gc
import logging
import os
import sys

ONE_SHOT = frozenset({"ask"})  # read-only commands that answer once and exit


def command(argv: list[str]) -> str | None:
    """The command a `resolute` command line runs: its first word that is not an option."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def run(argv: list[str] | None = None) -> None:
    """Run the command line; a one-shot command leaves without garbage collection or teardown."""
    argv = sys.argv[1:] if argv is None else argv
    if command(argv) not in ONE_SHOT:
        from bot.cli import main

        main(argv)
        return
    gc.disable()
    from bot.cli import main

    try:
        main(argv)
        code = 0
    except SystemExit as done:  # how click ends every command, successful or not
        code = done.code
    if isinstance(code, str):  # sys.exit("message"): Python would print it and exit 1
        print(code, file=sys.stderr)
        code = 1
    logging.shutdown()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # the reader went away (`resolute ask ... | head -1`)
        code = code or 1
    os._exit(code or 0)
