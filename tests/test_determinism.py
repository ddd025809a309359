"""Same seed, same inputs: a byte-identical trace, in any process, under any hash seed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from _determinism_program import program

HERE = Path(__file__).parent


def run_in_subprocess(seed: int, hashseed: str) -> str:
    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    out = subprocess.run([sys.executable, str(HERE / "_determinism_program.py"), str(seed)],
                         env=env, capture_output=True, text=True, check=True, cwd=HERE)
    return out.stdout


class TestDeterminism:
    def test_same_seed_same_trace_in_process(self) -> None:
        assert program(7) == program(7)

    def test_same_seed_same_trace_across_processes_and_hash_seeds(self) -> None:
        here = program(7)
        assert len(here.splitlines()) > 100
        assert run_in_subprocess(7, "1") == here
        assert run_in_subprocess(7, "12345") == here

    def test_different_seed_gives_different_ids(self) -> None:
        assert program(7) != program(8)
