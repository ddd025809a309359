"""The benchmark scripts reach into the code they measure (they time one function by
wrapping it): a refactoring that removes what they wrap must fail here, not on the
next ``make bench``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import scale  # noqa: E402


def test_scale_times_the_scheduler_pass(tmp_path: Path) -> None:
    path = scale._scenario(tmp_path, backends=3, creates=40, rate=20.0, lifetime=60.0)
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "scale.py"), "--child",
                          str(path), "--time-scheduler"],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    assert figures["creates_ok"] > 0
    assert figures["decide_us"] is not None
    assert figures["decide_us"] > 0
