#!/usr/bin/env python3
"""The hostile-input campaign, for longer than the test suite runs it.

Runs the Hypothesis campaigns of ``tests/robustness/`` (the command line fed
hostile sessions, paths and files; the Engine fed hostile calls and hostile
modules) with many more examples than the suite's default, and prints
Hypothesis's statistics (how often each command ended in which exit code).
Every example must end without a traceback, a crash or a hang, and without
changing a file of the user's it was not asked to write.

    .venv/bin/python scripts/hostile_campaign.py            # 1000 examples each
    .venv/bin/python scripts/hostile_campaign.py --examples 5000 -x
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=1000, help="examples per campaign")
    args, rest = parser.parse_known_args()
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "CAMPAIGN_EXAMPLES": str(args.examples)}
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "tests/robustness",
        "-p",
        "no:cacheprovider",
        "--hypothesis-show-statistics",
        "--timeout=0",
        *rest,
    ]
    return subprocess.call(cmd, cwd=root, env=env)


if __name__ == "__main__":
    sys.exit(main())
