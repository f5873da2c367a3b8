"""Reading a question into a program (`app.worlds.shapes.programs`), CLEVR's depth included.

"What size is the circle that is left of the brown thing that is left of the big
square?" is a query of a unique object, filtered from the objects left of another
unique object, and so on. The noun phrases and their clauses are
`app.worlds.shapes.phrases`; here are the question forms over them: how many, is there,
what attribute, the same attribute, more / fewer / as many, left of / above, "is it
red", "are there two ...", "are all ...", and CLEVR's "There is a ...; what is its
colour?". It parses by backtracking
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

from app.worlds.language import Speller
from app.worlds.shapes import words as w
from app.worlds.shapes.phrases import NoParse, Parses, PhraseGrammar
from app.worlds.shapes.programs import Step
from app.worlds.shapes.spelling import ATTRIBUTE_OF, DIRECTION_OF, SHAPES_SPELLER, clean, expand_shorthand, join_phrases

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
NUMBER_OF = dict(w.NUMBERS) | {str(n): n for n in range(11)}
# "are there at least two ...": the count relation each lead word asks for ("" : exactly)
COUNT_LEADS = (
    (">=", "at least"),
    ("<=", "at most"),
    ("<=", "no more than"),
    (">", "more than"),
    ("<", "fewer than"),
    ("<", "less than"),
    ("==", "exactly"),
    ("==", ""),
)
ASKED = {"color": ("color", "colour"), "shape": ("shape",), "size": ("size",)}  # "what colour is ..."


class Grammar(PhraseGrammar):
    """The question forms, over the phrases."""

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
            for attribute, words in ASKED.items():
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
        for attribute, words in ASKED.items():
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
        for relation, lead in COUNT_LEADS:
            k = self.word(j, lead) if lead else j
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
            for (_, kept), m in self._property_clause(k, negated=False):  # "are all the red things small?"
                yield Step("all", (phrase.objects, kept)), m


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
