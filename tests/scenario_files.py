"""What the scenario test files share: the bundled scenarios, a writer, and the
problems a bad file is refused with."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from cindersim.scenario import ScenarioError, load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text).lstrip("\n"))
    return p


def errors_of(path: Path, **kw: Any) -> list[str]:
    """The ``FILE:LINE: message`` lines of the ScenarioError loading *path* raises."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, **kw)
    return str(info.value).splitlines()
