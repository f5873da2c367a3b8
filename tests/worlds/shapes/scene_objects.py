"""Objects drawn on paper for the program tests: what the executor reads of the parser's."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Obj:
    shape: str
    color: str
    size: str
    x: float
    y: float
