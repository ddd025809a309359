"""The public face: what the README documents is what the package exports, and it runs."""

from __future__ import annotations

import re
from pathlib import Path

import cindersim

README = (Path(__file__).parent.parent / "README.md").read_text()


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


class TestPublicApi:
    def test_all_is_sorted_and_resolvable(self) -> None:
        names = [n for n in cindersim.__all__ if n != "__version__"]
        assert names == sorted(names)
        for name in cindersim.__all__:
            assert hasattr(cindersim, name), name

    def test_every_export_is_documented_in_the_readme_or_changelog(self) -> None:
        changelog = (Path(__file__).parent.parent / "CHANGELOG.md").read_text()
        for name in cindersim.__all__:
            if name == "__version__":
                continue
            assert name in README or f"cindersim.{name}" in changelog, name

    def test_readme_example_runs(self) -> None:
        first = python_blocks(README)[0]
        namespace: dict[str, object] = {}
        exec(compile(first, "README.md", "exec"), namespace)
        result = namespace["result"]
        assert isinstance(result, cindersim.SimulationResult)
        assert result.value == "available"

    def test_readme_config_example_loads(self) -> None:
        block = next(b for b in python_blocks(README) if b.startswith("config = {"))
        namespace: dict[str, object] = {}
        exec(compile(block, "README.md", "exec"), namespace)
        cfg = cindersim.load_config(namespace["config"])  # type: ignore[arg-type]
        assert [b.service_host for b in cfg.backends] == ["cinder-1@lvm-a", "cinder-2@lvm-b"]


def test_readme_state_machine_example_runs() -> None:
    from hypothesis import settings  # noqa: PLC0415
    from hypothesis.stateful import run_state_machine_as_test  # noqa: PLC0415

    block = next(b for b in python_blocks(README) if "CloudStateMachine" in b)
    namespace: dict[str, object] = {}
    exec(compile(block, "README.md", "exec"), namespace)
    machine = namespace["StackingMachine"]
    run_state_machine_as_test(machine,  # type: ignore[arg-type]
                              settings=settings(max_examples=3, stateful_step_count=15,
                                                deadline=None))


def test_readme_workload_example_runs() -> None:
    block = next(b for b in python_blocks(README) if "MetricsCollector" in b)
    namespace: dict[str, object] = {"print": lambda *args: None}
    exec(compile(block, "README.md", "exec"), namespace)
    summary = namespace["summary"]
    assert isinstance(summary, dict)
    assert summary["volume.create.count"] == len(
        [op for op in namespace["ops"] if op.kind == "create"])  # type: ignore[attr-defined]
    assert summary["volume.create.p95"] > 0

