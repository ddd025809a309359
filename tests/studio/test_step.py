"""``--step`` on a real terminal (pexpect gives the program a pty): Enter shows one more
step, ``s`` the state, ``n`` skips to the next flow, ``q`` quits cleanly, and neither
Ctrl-C nor the end of input prints a traceback."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect", reason="the pexpect package (the test extra)")

ROOT = Path(__file__).resolve().parents[2]
CREATE = str(ROOT / "scenarios" / "create.toml")
PROMPT = r"\[Enter\] next"


def spawn(*args: str) -> pexpect.spawn:
    child = pexpect.spawn(sys.executable, ["-m", "cindersim.cli", "run", CREATE, "--step",
                                           *args], cwd=str(ROOT), encoding="utf-8",
                          timeout=30, dimensions=(50, 160), env={"NO_COLOR": "1",
                                                                 "PATH": "/usr/bin:/bin"})
    child.expect(PROMPT)
    return child


def numbered(text: str) -> list[int]:
    """The step numbers printed (the prompt's line is erased with ESC [K first)."""
    plain = text.rsplit("\x1b[K", maxsplit=1)[-1].replace("\r", "")
    return [int(n) for n in re.findall(r"^\s+(\d+)\. ", plain, re.M)]


def test_enter_shows_exactly_one_more_step_and_q_quits() -> None:
    child = spawn()
    first = child.before
    assert numbered(first) == [1]
    child.send("\r")
    child.expect(PROMPT)
    assert numbered(child.before) == [2]
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "Traceback" not in (child.before or "")


def test_s_shows_the_state_and_n_skips_to_the_next_flow() -> None:
    child = spawn()
    child.send("s")
    child.expect(PROMPT)
    assert "Database:" in child.before
    assert re.search(r"volume v1 \(\w{8}\): .*status=creating", child.before)
    child.send("n")
    child.expect(PROMPT)
    assert "Step 2: delete_volume" in child.before
    assert numbered(child.before) == [1]
    child.send("q")
    child.expect(pexpect.EOF)


def test_ctrl_c_and_end_of_input_print_no_traceback() -> None:
    child = spawn()
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert "Traceback" not in (child.before or "")
    assert child.exitstatus == 130
    child = spawn()
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert "Traceback" not in (child.before or "")
    assert child.exitstatus == 0


def test_one_stop_per_documents_step() -> None:
    child = spawn()
    stops = [numbered(child.before)]
    for _ in range(3):
        child.send("\r")
        child.expect(PROMPT)
        stops.append(numbered(child.before))
    child.send("q")
    child.expect(pexpect.EOF)
    # B1, B2, B8-B9 (the 202), then B3: the scheduler takes the message, decides, casts
    assert stops == [[1], [2], [3], [4, 5, 6]]
