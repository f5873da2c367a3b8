"""The VQA worlds: each kind of picture with its own models, reader and evidence.

Every world follows `app.worlds.base.World`; the router and the page know only that
interface and the list below. A new world is one package here and one line in
`WORLDS` (docs/how-it-works.md, "Adding a world").

Which world answers (`pick`), as Starlette's router picks a route:
- a world the client names wins;
- otherwise the first world that claims the picture fully, else the first partial
  claim (photo claims every picture partially, so it comes last).
The choice is made from the pixels alone, never from which models happen to be
loaded: the same picture always goes to the same world, and a world whose models are
not ready answers 503 rather than handing the picture to a world that would guess.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image

from app.errors import BadRequest
from app.worlds.base import Claim, Fit, World
from app.worlds.charts.world import ChartsWorld
from app.worlds.photo.world import PhotoWorld
from app.worlds.shapes.world import ShapesWorld

WORLDS: tuple[World, ...] = (ShapesWorld(), ChartsWorld(), PhotoWorld())


def names(worlds: Sequence[World]) -> list[str]:
    return [w.name for w in worlds]


def named(worlds: Sequence[World], name: str) -> World:
    for world in worlds:
        if world.name == name:
            return world
    choices = ", ".join(["auto", *names(worlds)])
    raise BadRequest(f"world must be one of {choices}, not {name!r}")


def pick(worlds: Sequence[World], image: Image.Image, wanted: World | None = None) -> tuple[World, Claim, str]:
    """The world that answers about `image` (`wanted`, when the client named one), its
    claim, and why it was chosen."""
    if wanted is not None:
        return wanted, wanted.claims(image), f"asked for the {wanted.name} world"
    declined: list[str] = []
    partial: tuple[World, Claim] | None = None
    for world in worlds:
        claim = world.claims(image)
        if claim.fit is Fit.FULL:
            return world, claim, claim.reason
        if claim.fit is Fit.PARTIAL and partial is None:
            partial = (world, claim)
        elif claim.fit is Fit.NONE:
            declined.append(f"{world.name}: {claim.reason}")
    if partial is None:
        raise BadRequest("no world of this server can answer about this picture")
    world, claim = partial
    return world, claim, "; ".join([claim.reason, *declined])
