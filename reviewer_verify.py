#!/usr/bin/env python3
"""Reviewer verification entry point (the published verifier's name): a thin shim over ``spinefairbench.cli``."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from spinefairbench.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(prog="reviewer_verify.py"))
