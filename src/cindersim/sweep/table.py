"""The result table of a sweep: ``results.csv`` and ``results.json``, per-run row files
for cluster runs (``--only``), and merging them back (``--collect``).

Bytes are a function of the rows alone: rows sorted by run index, columns in a
fixed order (run, point, each ``--set`` key in the order given, seed, status,
failed_expectations, virtual_time_s, the summary keys sorted, error), floats
written with ``repr`` (the shortest text that reads back to the same float),
None as an empty cell.  So a sweep on one core, on many, or merged from a
cluster's row files writes the same ``results.csv``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from .grid import Sweep, show_value

__all__ = ["SweepTable", "cell", "collect", "read_row_file", "row_file_name",
           "write_row_file"]

_HEAD = ("run", "point")
_MIDDLE = ("seed", "status", "failed_expectations", "virtual_time_s")
_TAIL = ("error",)
_FIXED = frozenset((*_HEAD, *_MIDDLE, *_TAIL))


def cell(value: Any) -> str:
    """One CSV cell: None empty, booleans ``true``/``false``, floats by ``repr``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return show_value(value)


@attrs.frozen
class SweepTable:
    """The rows of one sweep (any subset, for a partial collect) and what names them."""

    scenario: str
    """The scenario file as given on the command line."""
    name: str
    keys: tuple[str, ...]
    total: int
    """How many runs the whole grid has (row files from ``--only`` say it too)."""
    rows: tuple[dict[str, Any], ...]

    @classmethod
    def of(cls, sweep: Sweep, rows: Iterable[dict[str, Any]]) -> SweepTable:
        """The table of *sweep* from rows (``SweepRun.row``), in grid order whatever
        order they come in."""
        return cls(sweep.scenario, sweep.name, sweep.keys, len(sweep.runs),
                   tuple(sorted(rows, key=lambda r: int(r["run"]))))

    def summary_keys(self) -> list[str]:
        keys: set[str] = set()
        for row in self.rows:
            keys.update(row.get("summary") or {})
        return sorted(keys)

    def columns(self) -> list[str]:
        """run, point, the keys, the fixed columns, the summary keys sorted, error.  A
        ``--set seed=...`` key is the ``seed`` column (the seed the run used)."""
        keys = [k for k in self.keys if k not in _FIXED]
        summary = [k for k in self.summary_keys() if k not in _FIXED and k not in keys]
        return [*_HEAD, *keys, *_MIDDLE, *summary, *_TAIL]

    def value(self, row: dict[str, Any], column: str) -> Any:
        """A row's value in *column* (a fixed column, a key or a summary key)."""
        if column in _FIXED:
            return row.get(column)
        if column in self.keys:
            return row["overrides"].get(column)
        return (row.get("summary") or {}).get(column)

    def numeric_columns(self) -> list[str]:
        """The columns a chart can plot: numbers in at least one row."""
        out = []
        for col in ["virtual_time_s", "failed_expectations", *self.summary_keys()]:
            if any(isinstance(v := self.value(r, col), (int, float))
                   and not isinstance(v, bool) for r in self.rows):
                out.append(col)
        return out

    def missing(self) -> list[int]:
        have = {int(r["run"]) for r in self.rows}
        return [i for i in range(self.total) if i not in have]

    def to_csv(self) -> str:
        cols = self.columns()
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(cols)
        for row in self.rows:
            w.writerow([cell(self.value(row, c)) for c in cols])
        return buf.getvalue()

    def to_json(self) -> str:
        return json.dumps({"scenario": self.scenario, "name": self.name,
                           "keys": list(self.keys), "total": self.total,
                           "rows": list(self.rows)}, indent=1, sort_keys=False) + "\n"

    def write(self, directory: str | Path) -> tuple[Path, Path]:
        """Write ``results.csv`` and ``results.json`` into *directory* (made if needed)."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        csv_path, json_path = d / "results.csv", d / "results.json"
        csv_path.write_text(self.to_csv(), encoding="utf-8")
        json_path.write_text(self.to_json(), encoding="utf-8")
        return csv_path, json_path


def row_file_name(index: int) -> str:
    return f"row-{index:06d}.json"


def write_row_file(directory: str | Path, table: SweepTable, row: dict[str, Any]) -> Path:
    """One run's row with what names its sweep, as ``row-NNNNNN.json`` (``--only``)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    path = d / row_file_name(int(row["run"]))
    doc = {"scenario": table.scenario, "name": table.name, "keys": list(table.keys),
           "total": table.total, "row": row}
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return path


def read_row_file(path: Path) -> tuple[tuple[str, str, tuple[str, ...], int], dict[str, Any]]:
    """(sweep identity, row) from a row file.

    Raises:
        ValueError: not a row file.
    """
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        ident = (str(doc["scenario"]), str(doc["name"]), tuple(str(k) for k in doc["keys"]),
                 int(doc["total"]))
        row = doc["row"]
        int(row["run"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a sweep row file ({exc})") from None
    if not isinstance(row, dict):
        raise ValueError(f"{path}: not a sweep row file (row is not an object)")
    return ident, row


def _row_files(sources: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for src in sources:
        p = Path(src)
        if p.is_dir():
            files.extend(sorted(p.glob("row-*.json")))
        elif p.is_file():
            files.append(p)
        else:
            raise ValueError(f"{p}: no such file or directory")
    return files


def collect(sources: Sequence[str | Path]) -> SweepTable:
    """Merge the row files found in *sources* (directories holding ``row-*.json``, or the
    files themselves) into one table.

    Raises:
        ValueError: no row files, rows of different sweeps, or two different rows
            for the same run.
    """
    files = _row_files(sources)
    if not files:
        raise ValueError(f"no row files (row-*.json) in {', '.join(map(str, sources))}")
    ident: tuple[str, str, tuple[str, ...], int] | None = None
    rows: dict[int, dict[str, Any]] = {}
    for f in files:
        this, row = read_row_file(f)
        if ident is None:
            ident = this
        elif this != ident:
            raise ValueError(f"{f}: a row of another sweep ({this[0]} with "
                             f"{', '.join(this[2]) or 'no --set'}, {this[3]} runs; expected "
                             f"{ident[0]} with {', '.join(ident[2]) or 'no --set'}, "
                             f"{ident[3]} runs)")
        i = int(row["run"])
        if i in rows and rows[i] != row:
            raise ValueError(f"{f}: run {i} is already collected with a different result")
        rows[i] = row
    assert ident is not None
    return SweepTable(ident[0], ident[1], ident[2], ident[3],
                      tuple(rows[i] for i in sorted(rows)))
