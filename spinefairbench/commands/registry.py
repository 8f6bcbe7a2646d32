"""Command families registered beside the verification commands of :mod:`spinefairbench.cli`.

Each entry is a ``register(subparsers)`` function; keeping the list here
lets ``cli.py`` stay one readable table while families grow in their own modules.
"""

from __future__ import annotations

from spinefairbench.commands import fetch_verify, report, spinebench, suite
from spinefairbench.release import scoring

REGISTRARS: list = [suite.register, spinebench.register, report.register, scoring.register, fetch_verify.register]
# Order matters: the report hook collects the score files the scoring hook writes.
suite.DEMO_HOOKS += [spinebench.demo_hook, scoring.demo_hook, report.demo_hook]
