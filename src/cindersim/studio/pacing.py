"""``--step``: the narration one step at a time, at the reader's pace.

After each documents' step (a run of narration steps with the same B-label is
one stop; a step the documents do not number is a stop of its own) the reader
presses a key:

* Enter (or space): the next step;
* ``s``: the state at this moment (database rows, LVM, iSCSI targets, the bus),
  rebuilt from the trace like the studio's panels;
* ``n``: skip the rest of this flow, to the next scenario step's heading;
* ``q``: quit.

Ctrl-C and the end of input stop quietly (no traceback).  On a terminal the
keys are read one by one (cbreak mode, restored afterwards); otherwise one
line per key, so a script can drive it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from typing import IO

from ..render._events import labels_of
from ..render.narrate import Block
from ..render.state import StateTracker, state_text
from ..trace import TraceEvent

__all__ = ["PROMPTS", "Pacer"]

PROMPTS = {"en": "  [Enter] next · s state · n next flow · q quit ",
           "vi": "  [Enter] tiếp · s trạng thái · n sang luồng sau · q thoát "}


@contextlib.contextmanager
def _cbreak(stream: IO[str]) -> Iterator[bool]:
    """Single-key input on a terminal (True), else nothing changes (False)."""
    try:
        fd = stream.fileno()
        is_tty = os.isatty(fd)
    except (AttributeError, OSError, ValueError):
        is_tty = False
    if not is_tty:
        yield False
        return
    import termios  # noqa: PLC0415 - POSIX only, and only for a terminal
    import tty  # noqa: PLC0415

    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield True
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _same_step_follows(blocks: Sequence[Block], i: int) -> bool:
    """Whether the next numbered step of the same flow is part of the same documents'
    step (B3 is three narration steps: the scheduler takes, decides, casts)."""
    tag = blocks[i].tag
    if tag is None:
        return False
    for later in blocks[i + 1:]:
        if later.heading:
            return False
        if later.pause:
            return later.tag == tag
    return False


class Pacer:
    """Write narration blocks, waiting for a key after each numbered step.

    Args:
        events: the run's trace (for ``s``: the state is rebuilt from it).
        out: where the narration goes.
        lang: the prompt's and the state's language.
        keys: where keys come from (stdin).
        prompt_to: where the prompt goes (stderr, so ``out`` stays the narration).
    """

    def __init__(self, events: Sequence[TraceEvent], *, out: IO[str], lang: str = "en",
                 keys: IO[str] | None = None, prompt_to: IO[str] | None = None) -> None:
        self.events = list(events)
        self.out = out
        self.lang = lang
        self.keys = keys if keys is not None else sys.stdin
        self.prompt_to = prompt_to if prompt_to is not None else sys.stderr
        self.interrupted = False
        self._tracker = StateTracker()
        self._fed = 0
        self._labels = labels_of(self.events)
        self._single = False

    def _key(self) -> str:
        """One key ('' at the end of input)."""
        if self._single:
            data = os.read(self.keys.fileno(), 1)
            return data.decode("utf-8", "replace") if data else ""
        line = self.keys.readline()
        if not line:
            return ""
        return line.strip()[:1].lower() or "\n"

    def _state(self, seq: int | None) -> str:
        if seq is not None:
            while self._fed < len(self.events) and self.events[self._fed].seq <= seq:
                self._tracker.feed(self.events[self._fed])
                self._fed += 1
        return state_text(self._tracker.state, self._labels, self.lang)

    def run(self, blocks: Sequence[Block]) -> bool:
        """Show *blocks*; False when the reader quit (``q``, Ctrl-C or end of input)."""
        try:
            with _cbreak(self.keys) as single:
                self._single = single
                return self._show(blocks)
        except KeyboardInterrupt:
            self.interrupted = True
            self.prompt_to.write("\n")
            self.prompt_to.flush()
            return False

    def _show(self, blocks: Sequence[Block]) -> bool:
        skipping: int | None = None
        last_seq: int | None = None
        for i, block in enumerate(blocks):
            if skipping is not None and block.section == skipping and not block.heading:
                continue
            skipping = None
            self.out.write(block.text + "\n")
            if block.seq is not None:
                last_seq = block.seq
            if not block.pause or _same_step_follows(blocks, i):
                continue
            while True:
                self.out.flush()
                self.prompt_to.write(PROMPTS.get(self.lang, PROMPTS["en"]))
                self.prompt_to.flush()
                key = self._key()
                self.prompt_to.write("\r\x1b[K" if self._single else "")
                if key in ("\n", "\r", " "):
                    break
                if key == "s":
                    self.out.write(self._state(last_seq) + "\n")
                    continue
                if key == "n":
                    skipping = block.section
                    break
                if key in ("q", "", "\x04"):
                    if key == "":
                        self.prompt_to.write("\n")
                    return False
        self.out.flush()
        return True
