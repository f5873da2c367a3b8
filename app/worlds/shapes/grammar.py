"""Reading a question into a program (`app.worlds.shapes.programs`), CLEVR's depth included.

"What size is the circle that is left of the brown thing that is left of the big
square?" is a query of a unique object, filtered from the objects left of another
unique object, and so on. The grammar is small and recursive:

    phrase  := [determiner] adjectives noun clauses          ("the big red circles")
    adjectives: sizes, colours, "green or yellow", the extremes ("the leftmost circle")
    clause  := [that/which] [is/are] [not] direction [of] phrase   ("left of the cube")
             | [that] [has/have/with/of] the same attribute as phrase
             | [that] is/are [not] adjective-or-noun               ("that are not circles")
             | closest to / farthest from phrase                 (picks one object)
    clauses joined by "and" (both hold) or "or" (either does)

and the question forms: how many, is there, what attribute, the same attribute,
more / fewer / as many, left of / above, and "is it red". It parses by backtracking
(every reading of the words is tried, the first that uses every word wins), so
"is the circle left of the square?" is a relation between two objects while "is there
a circle left of the square?" asks whether one exists.

Words go through the shapes world's speller and phrases first (`spelling`), with the
few words only deep questions use ("other", "but", "except") known to it, so people's
slips are corrected the same way as in one-step questions. What it cannot parse it
leaves to the one-step reader (`app.worlds.shapes.reading`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from app.worlds.language import Speller
from app.worlds.shapes import words as w
from app.worlds.shapes.programs import Step, scene
from app.worlds.shapes.spelling import (
    ADJECTIVES,
    ATTRIBUTE_OF,
    DIRECTION_OF,
    EXTREME_OF,
    NOUNS,
    SHAPES_SPELLER,
    clean,
    expand_shorthand,
    join_phrases,
)

# Words only deep questions use: known to its speller so a slip is not "corrected" into
# filler ("but" is not "bot").
DEEP_WORDS = ("other", "others", "another", "but", "except", "besides", "nor", "non", "that", "which", "who", "it")
SPELLER = Speller([list(SHAPES_SPELLER.targets), list(DEEP_WORDS)], SHAPES_SPELLER.known)
PLACES = ("picture", "image", "scene", "photo", "drawing")
# Words and phrases that carry nothing: dropped before parsing.
SKIPPED = frozenset(
    "please pls plz kindly visible shown depicted pictured actually really exactly also currently other others "
    "another total altogether overall else either".split()
)
SKIPPED_PHRASES = tuple(
    tuple(p.split())
    for p in sorted(
        [
            *(f"{lead} {place}" for lead in ("in the", "on the", "of the", "in this", "within the") for place in PLACES),
            "can you tell me",
            "could you tell me",
            "tell me",
            "do you know",
            "i want to know",
            "can you see",
            "do you see",
            "you can see",
            "that you see",
            "you see",
            "can be seen",
            "are there in total",
        ],
        key=lambda p: -len(p.split()),
    )
)
DETERMINERS = ("the", "a", "an", "any", "some", "all", "every", "each")
QUANTIFIERS = ("any", "some", "all", "every", "each")
NUMBER_OF = dict(w.NUMBERS) | {str(n): n for n in range(11)}
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


class Grammar:
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

    def question(self) -> Iterator[Step]:
        for program, end in self._questions(0):
            if end == len(self.t):
                yield program

    def _questions(self, i: int) -> Parses:
        yield from self._there_is(i)
        yield from self._count(i)
        yield from self._compare_counts(i)
        yield from self._exist(i)
        yield from self._query(i)
        yield from self._equal(i)
        yield from self._relation(i)
        yield from self._verify(i)
        yield from self._named_first(i)
        yield from self._count_is(i)
        yield from self._all(i)

    def _there_is(self, i: int) -> Parses:
        """CLEVR's "There is a small cube that is left of the ball; what colour is it?"."""
        j = self.word(i, "there is", "there are")
        if j is None or self.referent is not None:
            return
        for phrase, k in self.phrase(j):
            if phrase.plural:
                continue
            self.referent = phrase.unique()
            try:
                for m in self.maybe(k, "and"):
                    yield from self._questions(m)
            finally:
                self.referent = None

    def _named_first(self, i: int) -> Parses:
        """ "The small red thing is what shape?", "the cube has what colour?"."""
        for first, j in self.anchor(i):
            k = self.word(j, "is what", "has what", "is which", "has which", "is of what", "is what kind of")
            if k is not None and k < len(self.t) and self.t[k] in ATTRIBUTE_OF:
                yield Step("query", (first,), ATTRIBUTE_OF[self.t[k]]), k + 1

    def _counted(self, i: int) -> Iterator[tuple[Step, int]]:
        """A plural phrase, "circles and squares" (all of both), and "are there" after it."""
        for phrase, j in self.phrase(i):
            if not phrase.plural:
                continue
            objects = phrase.objects
            for k in (self.word(j, "and"), self.word(j, "or")):
                if k is not None:
                    for other, m in self.phrase(k):
                        if other.plural:
                            for n in self.maybe(m, "are there", "there are", "exist", "are"):
                                yield Step("union", (objects, other.objects)), n
            for n in self.maybe(j, "are there", "is there", "there are", "exist", "do i see", "are"):
                yield objects, n

    def _count(self, i: int) -> Parses:
        j = self.word(i, "how many", "what number of", "what is the number of", "count the", "count", "number of")
        if j is not None:
            for objects, k in self._counted(j):
                yield Step("count", (objects,)), k

    def _compare_counts(self, i: int) -> Parses:
        for variant, lead, middle in (
            ("more", "are there more", "than"),
            ("fewer", "are there fewer", "than"),
            ("fewer", "are there less", "than"),
            ("same", "are there the same number of", "and"),
            ("same", "are there the same number of", "as"),
            ("same", "are there same number of", "as"),
            ("same", "are there same number of", "and"),
            ("same", "are there an equal number of", "and"),
            ("same", "is there an equal number of", "and"),
            ("same", "is there the same number of", "and"),
            ("same", "is the number of", "equal to the number of"),
            ("more", "is the number of", "more than the number of"),
            ("more", "is the number of", "more than"),
            ("fewer", "is the number of", "fewer than the number of"),
            ("fewer", "is the number of", "fewer than"),
            ("same", "is the number of", "equal to the number of"),
            ("same", "is the number of", "the same as the number of"),
            ("same", "is the number of", "same number of"),
        ):
            j = self.word(i, lead)
            if j is None:
                continue
            for first, k in self.phrase(j):
                m = self.word(k, middle)
                if m is None or not first.plural:
                    continue
                for second, n in self.phrase(m):
                    if second.plural:
                        yield Step("compare", (first.objects, second.objects), value=variant), n

    def _exist(self, i: int) -> Parses:
        j = self.word(i, "is there", "are there", "does the image contain", "does it contain", "is anything", "are any", "is any")
        if j is not None:
            for phrase, k in self.phrase(j):
                m = self.word(k, "or")
                if m is not None:  # "is there a red circle or a blue square?"
                    for other, n in self.phrase(m):
                        yield Step("exist", (Step("union", (phrase.as_set(), other.as_set())),)), n
                yield Step("exist", (phrase.as_set(),)), k

    def _query(self, i: int) -> Parses:
        if self.referent is not None:  # "what colour is it?", "what is its size?"
            for attribute in w.ATTRIBUTES:
                words = {"color": ("color", "colour"), "shape": ("shape",), "size": ("size",)}[attribute]
                for a in words:
                    j = self.word(i, f"what {a} is it", f"what is its {a}", f"what is the {a} of it", f"which {a} is it")
                    if j is not None:
                        yield Step("query", (self.referent,), attribute), j
        forms = [
            ("what {a} is", ""),
            ("what {a} are", ""),
            ("which {a} is", ""),
            ("what {a} does", "have"),
            ("which {a} does", "have"),
            ("what is the {a} of", ""),
            ("which is the {a} of", ""),
            ("what {a} has", ""),
        ]
        for attribute in w.ATTRIBUTES:
            words = {"color": ("color", "colour"), "shape": ("shape",), "size": ("size",)}[attribute]
            for form, tail in forms:
                j = self.word(i, *(form.format(a=a) for a in words))
                if j is None:
                    continue
                for phrase, k in self.phrase(j):
                    if not phrase.plural:
                        for m in self.maybe(k, tail) if tail else iter([k]):
                            yield Step("query", (phrase.unique(),), attribute), m
        j = self.word(i, "is", "are")
        if j is not None:  # "is the circle small or large?"
            for phrase, k in self.phrase(j):
                if not phrase.plural and self.word(k, "small or large", "large or small") is not None:
                    yield Step("query", (phrase.unique(),), "size"), k + 3

    def _equal(self, i: int) -> Parses:
        for attribute_word, attribute in ATTRIBUTE_OF.items():
            j = self.word(i, f"is the {attribute_word} of", f"does the {attribute_word} of")
            if j is not None:  # "is the colour of the cube the same as the ball?"
                for first, k in self.anchor(j):
                    m = self.word(k, f"the same as the {attribute_word} of", "the same as", "same as", "equal to")
                    if m is not None:
                        for second, n in self.anchor(m):
                            yield Step("equal", (first, second), attribute), n
            j = self.word(i, "is", "does")
            if j is not None:  # "is A the same colour as B?", "does A have the same shape as B?"
                for first, k in self.anchor(j):
                    m = self.word(
                        k, f"the same {attribute_word} as", f"have the same {attribute_word} as", f"same {attribute_word} as"
                    )
                    if m is not None:
                        for second, n in self.anchor(m):
                            yield Step("equal", (first, second), attribute), n
            j = self.word(i, "are", "do")
            if j is not None:  # "are A and B the same size?", "do A and B have the same shape?"
                for first, k in self.anchor(j):
                    m = self.word(k, "and")
                    if m is None:
                        continue
                    for second, n in self.anchor(m):
                        end = self.word(
                            n, f"the same {attribute_word}", f"have the same {attribute_word}", f"same {attribute_word}"
                        )
                        if end is not None:
                            yield Step("equal", (first, second), attribute), end

    def _relation(self, i: int) -> Parses:
        j = self.word(i, "is")
        if j is None:
            return
        for first, k in self.anchor(j):
            for m in self.maybe(k, "to the", "on the", "to"):
                if m < len(self.t) and self.t[m] in DIRECTION_OF:
                    for n in self.maybe(m + 1, "side of", "of", "than", "from"):
                        for second, end in self.anchor(n):
                            yield Step("relation", (first, second), value=DIRECTION_OF[self.t[m]]), end

    def _verify(self, i: int) -> Parses:
        j = self.word(i, "is")
        if j is None:
            return
        for first, k in self.anchor(j):
            for groups, extremes, m in self.adjectives(k):
                if len(groups) == 1 and len(groups[0]) == 1 and not extremes:
                    attribute, value = groups[0][0]
                    yield Step("verify", (first,), attribute, value), m
            for n in self.maybe(k, "a", "an"):
                for (shape, _), m in self.noun(n):
                    if shape != w.GENERIC:
                        yield Step("verify", (first,), "shape", shape), m

    def _count_is(self, i: int) -> Parses:
        """ "Are there two things left of the square?", "at least two", "more than one", "exactly three"."""
        j = self.word(i, "are there", "is there")
        if j is None:
            return
        for relation, words in (
            (">=", ("at least",)),
            ("<=", ("at most", "no more than")),
            (">", ("more than",)),
            ("<", ("fewer than", "less than")),
            ("==", ("exactly", "")),
        ):
            k = self.word(j, *words) if words != ("",) else j
            if k is None or k >= len(self.t) or self.t[k] not in NUMBER_OF:
                continue
            for phrase, m in self.phrase(k + 1):
                yield Step("count_is", (phrase.as_set(),), relation, str(NUMBER_OF[self.t[k]])), m

    def _all(self, i: int) -> Parses:
        """ "Are all the circles left of the square?", "are all red things small?"."""
        j = self.word(i, "are all", "are all of")
        if j is None:
            return
        for phrase, k in self.phrase(j):
            if not phrase.plural:
                continue
            for (kind, kept), m in self.joined_clauses(k):
                if kind == "set":
                    yield Step("all", (phrase.objects, kept)), m
            for kept_kind, m in self._property_clause(k, negated=False):
                yield Step("all", (phrase.objects, kept_kind[1])), m


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


# -- reading ------------------------------------------------------------------------------------


def tokens_of(question: str) -> tuple[list[str], list[dict[str, str]]]:
    """The question's words as the grammar reads them, and the slips corrected."""
    words, corrections = SPELLER.correct(expand_shorthand(clean(question)))
    words = [t for t in join_phrases(words) if t not in SKIPPED]
    out: list[str] = []
    i = 0
    while i < len(words):
        for phrase in SKIPPED_PHRASES:
            if tuple(words[i : i + len(phrase)]) == phrase:
                i += len(phrase)
                break
        else:
            out.append(words[i])
            i += 1
    return out, corrections


def parse(question: str) -> tuple[Step | None, list[str], list[dict[str, str]]]:
    """The question's program (None when the grammar cannot read every word), the words
    read, and the corrections."""
    tokens, corrections = tokens_of(question)
    try:
        program = next(Grammar(tokens).question(), None)
    except NoParse:
        program = None
    return program, tokens, corrections
