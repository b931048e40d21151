"""Print one of the README's two Quick start commands, exactly as the README gives it.

    python3 .ci/readme_command.py start   # installs and starts the app
    python3 .ci/readme_command.py test    # installs and runs the tests

CI runs what this prints, so the README and CI cannot drift apart: a README whose Quick
start no longer has exactly two ```sh blocks fails here, loudly.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def quick_start_commands(text: str) -> dict[str, str]:
    section = re.search(r"^## Quick start\n(.*?)(?=^## )", text, re.S | re.M)
    if section is None:
        raise SystemExit("README.md has no '## Quick start' section")
    blocks = re.findall(r"^```sh\n(.*?)^```", section.group(1), re.S | re.M)
    if len(blocks) != 2:
        raise SystemExit(f"README.md's Quick start has {len(blocks)} sh blocks, not 2")
    start, test = (block.strip() for block in blocks)
    if "\n" in start or "\n" in test:
        raise SystemExit("each Quick start command must be one line")
    return {"start": start, "test": test}


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) == 2 else ""
    commands = quick_start_commands(README.read_text(encoding="utf-8"))
    if which not in commands:
        raise SystemExit("usage: readme_command.py start|test")
    print(commands[which])
