"""Noun phrases of the shapes grammar (`app.worlds.shapes.grammar`): the objects a
phrase names, as a program's steps.

    phrase  := [determiner] adjectives noun clauses          ("the big red circles")
    adjectives: sizes, colours, "green or yellow", "non red", the extremes ("the leftmost circle")
    clause  := [that/which] [is/are] [not] direction [of] phrase   ("left of the cube")
             | [that] [has/have/with/of] the same attribute as phrase
             | [that] is/are [not] adjective-or-noun               ("that are not circles")
             | closest to / farthest from phrase                 (picks one object)
    clauses joined by "and" / "but" (both hold) or "or" (either does)

Every method yields every reading at a position with the position after it, longest
first, so the question forms built on them (`grammar.Grammar`) backtrack for free. The
clauses pick objects from the whole scene and the adjectives and noun filter what they
picked, CLEVR's way round.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from app.worlds.shapes import words as w
from app.worlds.shapes.programs import Step, scene
from app.worlds.shapes.spelling import ADJECTIVES, ATTRIBUTE_OF, DIRECTION_OF, EXTREME_OF, NOUNS

DETERMINERS = ("the", "a", "an", "any", "some", "all", "every", "each")
QUANTIFIERS = ("any", "some", "all", "every", "each")
COPULAS = ("is", "are")
RELATIVES = ("that", "which", "who")


class NoParse(Exception):
    pass


@dataclass(frozen=True)
class Phrase:
    """A noun phrase: the set it names, or the one object it picks; and its grammar."""

    objects: Step
    plural: bool
    one: Step | None = None  # picked by an extreme or a closest / farthest clause

    def unique(self) -> Step:
        return self.one or Step("unique", (self.objects,))

    def as_set(self) -> Step:
        return self.objects if self.one is None else self.one  # an object stands for a set of one


Groups = list[list[tuple[str, str]]]
Clause = tuple[str, Step]  # ("set", the objects it keeps, from all of them) or ("one", a step picking one)
Parses = Iterator[tuple[Step, int]]


class PhraseGrammar:
    """Tokens, and the phrases at each position of them."""

    def __init__(self, tokens: list[str], budget: int = 20_000):
        self.t = tokens
        self.referent: Step | None = None  # what "it" means after "there is a red circle;"
        self.budget = budget  # phrases tried before giving up: a long question must not hang a worker

    # -- tokens

    def word(self, i: int, *options: str) -> int | None:
        """The position after any one of `options` (each may be several words) at i."""
        for option in options:
            parts = option.split()
            if self.t[i : i + len(parts)] == parts:
                return i + len(parts)
        return None

    def maybe(self, i: int, *options: str) -> Iterator[int]:
        """After one of `options` at i, then i itself (the words left out)."""
        j = self.word(i, *options)
        if j is not None:
            yield j
        yield i

    # -- phrases

    def adjectives(self, i: int) -> Iterator[tuple[Groups, list[str], int]]:
        """Groups of alternatives ("green or yellow": one group of two), extremes, next position."""
        groups: Groups = []
        extremes: list[str] = []
        while i < len(self.t):
            token = self.t[i]
            if token in EXTREME_OF:
                extremes.append(EXTREME_OF[token])
                i += 1
            elif token in ADJECTIVES:
                attribute, value = ADJECTIVES[token]
                group = [(attribute, value or token)]
                i += 1
                while self.word(i, "or") and i + 1 < len(self.t) and self.t[i + 1] in ADJECTIVES:
                    other, value = ADJECTIVES[self.t[i + 1]]
                    group.append((other, value or self.t[i + 1]))
                    i += 2
                groups.append(group)
            elif token == "non" and i + 1 < len(self.t) and self.t[i + 1] in ADJECTIVES:
                attribute, value = ADJECTIVES[self.t[i + 1]]
                groups.append([("not-" + attribute, value or self.t[i + 1])])
                i += 2
            else:
                break
        yield groups, extremes, i

    def noun(self, i: int) -> Iterator[tuple[tuple[str | None, bool], int]]:
        if i < len(self.t) and self.t[i] in NOUNS:
            shape, plural = NOUNS[self.t[i]]
            yield (self.t[i] if shape is None else shape, plural), i + 1

    def phrase(self, i: int) -> Iterator[tuple[Phrase, int]]:
        """Every reading of a noun phrase at i, the longest (most clauses) first."""
        self.budget -= 1
        if self.budget < 0:
            raise NoParse("too many readings")
        for j in self.maybe(i, *DETERMINERS):
            for groups, extremes, k in self.adjectives(j):
                for (shape, plural), m in self.noun(k):
                    if len(extremes) > 1:
                        continue
                    if not extremes:  # "the leftmost circle that is red" is not read
                        yield from self.clauses(m, groups, shape, plural)
                    objects = _apply(scene(), groups, shape)
                    one = Step("extreme", (objects,), value=extremes[0]) if extremes else None
                    yield Phrase(objects, plural, one), m

    def anchor(self, i: int) -> Iterator[tuple[Step, int]]:
        """A phrase that must name one object ("the big sphere"), or "it" for the one named before."""
        if self.referent is not None and self.word(i, "it") is not None:
            yield self.referent, i + 1
        if self.word(i, *QUANTIFIERS) is not None:  # "is any circle left of it?" asks whether one exists
            return
        for phrase, j in self.phrase(i):
            if not phrase.plural:
                yield phrase.unique(), j

    def clauses(self, i: int, groups: Groups, shape: str | None, plural: bool) -> Iterator[tuple[Phrase, int]]:
        """The noun with the clauses that follow it, CLEVR's way round: the clauses pick
        objects from the scene and the adjectives and noun filter what they picked."""
        for (kind, step), j in self.joined_clauses(i):
            if kind == "one":  # "the object closest to the cube": one of the named objects
                objects = _apply(scene(), groups, shape)
                yield Phrase(objects, False, Step(step.op, (step.inputs[0], objects))), j
            else:
                yield Phrase(_apply(step, groups, shape), plural), j

    def joined_clauses(self, i: int) -> Iterator[tuple[Clause, int]]:
        for first, j in self.clause(i):
            kind, step = first
            if kind == "set":
                for k in (self.word(j, "and", "but", "and also"), self.word(j, "or")):
                    if k is None:
                        continue
                    joiner = "union" if self.t[j] == "or" else "intersect"
                    for (second_kind, second), m in self.joined_clauses(k):
                        if second_kind == "set":
                            yield ("set", Step(joiner, (step, second))), m
            yield first, j

    def clause(self, i: int) -> Iterator[tuple[Clause, int]]:
        for h in self.maybe(i, "are there", "is there"):  # "how many cubes are there that are left of ..."
            yield from self._clause(h)

    def _clause(self, i: int) -> Iterator[tuple[Clause, int]]:
        for j in self.maybe(i, *RELATIVES):
            for k in self.maybe(j, *COPULAS):
                negated = self.word(k, "not")
                m = negated if negated is not None else k
                yield from self._relation_clause(m, negated is not None)
                yield from self._same_clause(m, negated is not None)
                if k != j or negated is not None:  # "that are red", "that are not circles", "... but not red"
                    yield from self._property_clause(m, negated is not None)
                if negated is None:
                    yield from self._nearest_clause(k)

    def _relation_clause(self, i: int, negated: bool) -> Iterator[tuple[Clause, int]]:
        for j in self.maybe(i, "to the", "on the", "at the", "to"):
            if j < len(self.t) and self.t[j] in DIRECTION_OF:
                direction = DIRECTION_OF[self.t[j]]
                for k in self.maybe(j + 1, "side of", "of", "than", "from"):
                    for anchor, m in self.anchor(k):
                        yield ("set", _kept(Step("relate", (anchor,), value=direction), negated)), m

    def _same_clause(self, i: int, negated: bool) -> Iterator[tuple[Clause, int]]:
        for j in self.maybe(i, "has", "have", "with", "of", "is", "are", "does", "do"):
            for k in self.maybe(j, "the"):
                same = self.word(k, "same")
                if same is None or same >= len(self.t) or self.t[same] not in ATTRIBUTE_OF:
                    continue
                attribute = ATTRIBUTE_OF[self.t[same]]
                for m in self.maybe(same + 1, "as"):
                    for anchor, n in self.anchor(m):
                        yield ("set", _kept(Step("same", (anchor,), attribute), negated)), n

    def _property_clause(self, i: int, negated: bool) -> Iterator[tuple[Clause, int]]:
        for groups, extremes, j in self.adjectives(i):
            if groups and not extremes:
                yield ("set", _kept(_apply(scene(), groups, None), negated)), j
        for j in self.maybe(i, "a", "an"):
            for (shape, _), k in self.noun(j):
                if shape != w.GENERIC:
                    yield ("set", _kept(_apply(scene(), [], shape), negated)), k

    def _nearest_clause(self, i: int) -> Iterator[tuple[Clause, int]]:
        if i < len(self.t) and (self.t[i] in w.CLOSEST or self.t[i] in w.FARTHEST):
            op = "closest" if self.t[i] in w.CLOSEST else "farthest"
            for j in self.maybe(i + 1, "to", "from"):
                for anchor, k in self.anchor(j):
                    yield ("one", Step(op, (anchor, scene()))), k

    # -- questions


# -- building steps ---------------------------------------------------------------------------


def _apply(objects: Step, groups: Groups, shape: str | None) -> Step:
    """Adjective groups (each a union of alternatives) and a noun, applied to `objects`."""
    for group in groups:
        objects = _group(objects, group)
    if shape and shape != w.GENERIC:
        objects = Step("filter", (objects,), "shape", shape)
    return objects


def _group(objects: Step, group: list[tuple[str, str]]) -> Step:
    parts = []
    for attribute, value in group:
        if attribute.startswith("not-"):
            parts.append(Step("difference", (objects, Step("filter", (objects,), attribute[4:], value))))
        else:
            parts.append(Step("filter", (objects,), attribute, value))
    result = parts[0]
    for part in parts[1:]:
        result = Step("union", (result, part))
    return result


def _kept(picked: Step, negated: bool) -> Step:
    """What a clause keeps: the objects it picked, or with "not" all the others."""
    return Step("difference", (scene(), picked)) if negated else picked
