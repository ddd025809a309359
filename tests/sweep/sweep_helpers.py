"""What both sweep test files use: a tiny scenario, a writer, and the CLI entry."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

from cindersim.sweep.command import add_arguments, run

SCENARIO = """
name = "tiny"
description = "two creates on one thick backend"
seed = 5

[cloud.DEFAULT]
[cloud.lvmdriver-1]
lvm_type = "default"
vg_size_gb = 10

[[steps]]
action = "create_volume"
as = "a"
size = 6

[[steps]]
action = "create_volume"
as = "b"
size = 3

[[expect]]
resource = "b"
status = "available"
"""


def write(tmp_path: Path, text: str = SCENARIO, name: str = "tiny.toml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text).lstrip("\n"))
    return p


def sweep(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return run(parser.parse_args(argv))
