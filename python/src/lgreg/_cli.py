"""Runs the `lgreg` binary and reads its documented `--json` output (never its text tables)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any, Mapping, Optional, Sequence


class LgregError(Exception):
    """An lgreg command failed: `exit_code` is lgreg's exit status (README's table; 127 when there is no
    binary), `message` what it printed after `error:`."""

    def __init__(self, exit_code: int, message: str, command: Sequence[str] = ()):
        super().__init__(f"{message} (exit {exit_code})")
        self.exit_code = exit_code
        self.message = message
        self.command = list(command)


def binary() -> str:
    """The lgreg binary: `$LGREG_BIN`, else `lgreg` on PATH."""
    configured = os.environ.get("LGREG_BIN")
    if configured:
        if not (os.path.isfile(configured) and os.access(configured, os.X_OK)):
            raise LgregError(127, f"LGREG_BIN is {configured}, which is not an executable file")
        return configured
    found = shutil.which("lgreg")
    if found is None:
        raise LgregError(
            127,
            "no lgreg binary: put lgreg on PATH or set LGREG_BIN "
            "(build it with `swift build -c release --product lgreg`)",
        )
    return found


def run(
    arguments: Sequence[str],
    environment: Mapping[str, str],
    accept: Sequence[int] = (0,),
) -> subprocess.CompletedProcess:
    """Runs `lgreg ARGUMENTS`; raises `LgregError` unless it exits with a code in `accept`."""
    command = [binary(), *arguments]
    process = subprocess.run(
        command, env={**os.environ, **environment}, capture_output=True, text=True, check=False
    )
    if process.returncode not in accept:
        raise LgregError(process.returncode, _message(process.stderr), command)
    return process


def run_json(
    arguments: Sequence[str], environment: Mapping[str, str], accept: Sequence[int] = (0,)
) -> Any:
    """Runs `lgreg ARGUMENTS --json` and returns what it printed, decoded."""
    process = run([*arguments, "--json"], environment, accept)
    try:
        return json.loads(process.stdout)
    except json.JSONDecodeError as error:
        raise LgregError(
            process.returncode, f"lgreg {arguments[0]} printed no JSON ({error})", arguments
        ) from None


def report(body: Any, name: str) -> Any:
    """The body of a `{"schemaVersion": 1, "report": NAME, NAME: …}` report, its version checked."""
    if isinstance(body, dict) and "report" in body:
        if body.get("schemaVersion") != 1 or body.get("report") != name:
            raise LgregError(
                65, f"lgreg printed a {body.get('report')} report of version {body.get('schemaVersion')}; "
                f"this package reads {name} version 1"
            )
        return body[name]
    return body


def _message(stderr: str) -> str:
    """The `error:` lines lgreg printed, else its last line of stderr."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    errors = [line[len("error: "):] for line in lines if line.startswith("error: ")]
    if errors:
        return "\n".join(errors)
    return lines[-1] if lines else "lgreg failed without a message"


def optional_arguments(**options: Optional[Any]) -> list:
    """`--name value` for each option given (underscores become dashes)."""
    arguments = []
    for name, value in options.items():
        if value is not None:
            arguments += ["--" + name.replace("_", "-"), str(value)]
    return arguments
