"""The ``galton`` command: argument parsing and printing only.

User errors end with one line on stderr and exit status 2; ``--json`` prints exactly one
JSON object on stdout. ``app`` holds the shared options, ``output`` the printing, ``inputs``
what options name; the commands live in ``overview``, ``describing``, ``fitting``, ``models``,
``testing`` and ``comparing``.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

from typer.exceptions import Abort, Exit, TyperException

from galton.cli import (  # noqa: F401  (registers commands)
    comparing,
    describing,
    fitting,
    models,
    overview,
    testing,
)
from galton.cli.app import app
from galton.cli.output import echo, safe_text
from galton.errors import GaltonError, TrainingInterrupted

__all__ = ["app", "main", "safe_text"]


class _Terminated(BaseException):
    """SIGTERM outside a training loop: stop like Ctrl-C, with one line and status 143."""


def _terminate(_signum: int, _frame: Any) -> None:
    raise _Terminated


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning user errors into one line and exit status 2."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)  # training loops install their own
    try:
        app(args=argv, standalone_mode=False)
    except _Terminated:
        echo("galton: stopped by SIGTERM (no file is left half-written)", err=True)
        sys.exit(143)
    except TrainingInterrupted as exc:
        hint = f"; continue with the same command and --resume {exc.checkpoint}"
        echo(f"galton: {exc}{hint if exc.checkpoint else ''}", err=True)
        sys.exit(128 + (exc.signal_number or 2))
    except KeyboardInterrupt:
        echo("galton: stopped by Ctrl-C (no file is left half-written)", err=True)
        sys.exit(130)
    except GaltonError as exc:
        echo(f"galton: error: {exc}", err=True)
        sys.exit(2)
    except Abort:
        echo("galton: aborted", err=True)
        sys.exit(130)
    except TyperException as exc:  # usage errors: unknown option, missing argument, ...
        if exc.format_message():  # empty when bare `galton` already printed its help
            echo(f"galton: error: {exc.format_message()}", err=True)
        sys.exit(2)
    except Exit as exc:
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
