"""The four states of seed 000, by name: the integer codes the kernels emit and the letters people read."""

from __future__ import annotations

from enum import IntEnum


class State(IntEnum):
    """A cold storage (蓄能, watch), B ignition (引燃), C steady combustion (稳燃), D burnout (灰烬)."""

    COLD = 0
    IGNITION = 1
    STEADY = 2
    BURNOUT = 3

    @property
    def letter(self) -> str:
        return "ABCD"[self.value]


#: Letter of each state code, indexable by the code (``STATE_NAMES[State.IGNITION] == "B"``).
STATE_NAMES: tuple[str, ...] = tuple(s.letter for s in State)
