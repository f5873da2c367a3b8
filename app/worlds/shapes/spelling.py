"""Spelling in the shapes world: its speller, and phrases joined into the template words.

The first step of reading a question (`app.worlds.shapes.reading`). The clean-up,
shorthand and the speller's rules are every world's (`app.worlds.language`); here:
- between equally close words, the shapes world's own words win, then cues, filler
  and out-of-scope words, then the longer words of phrases;
- phrases ("far left", "on top of", "what's") become the template language's words.
"""

from __future__ import annotations

from app.worlds.language import Speller, clean, expand_shorthand
from app.worlds.shapes import words as w

__all__ = ["candidates", "clean", "correct", "correct_word", "expand_shorthand", "join_phrases", "split_joined"]

NOUNS = w.noun_table()
ADJECTIVES = w.adjective_table()
ATTRIBUTE_OF = {word: a for a, words in w.ATTRIBUTE_WORDS.items() for word in words}
DIRECTION_OF = {word: d for d, words in w.DIRECTION_WORDS.items() for word in words}
EXTREME_OF = {word: d for d, words in w.EXTREME_WORDS.items() for word in words}
COMPARATIVE_OF = {word: s for s, words in w.COMPARATIVE_SIZE.items() for word in words}
DETERMINERS = ("the", "a", "an", "any", "some", "all", "every", "each", "no", "both")
_PHRASES = sorted(((tuple(k.split()), v.split()) for k, v in w.PHRASES.items()), key=lambda p: -len(p[0]))


SHAPES_SPELLER = Speller(
    (
        [*NOUNS, *ADJECTIVES, *ATTRIBUTE_OF, *DIRECTION_OF, *EXTREME_OF, *COMPARATIVE_OF, *w.CLOSEST, *w.FARTHEST],
        w.CUES,
        w.FILLER,
        w.OUT_OF_SCOPE,
        # the longer words of phrases ("outnumber", "distant"), after every other word
        sorted({t for k, _ in _PHRASES for t in k if len(t) >= 5}),
    ),
    {t for k, _ in _PHRASES for t in k},
    last=dict.fromkeys(w.NUMBERS, 1),  # "thre" is "there" before it is "three"
)
KNOWN = SHAPES_SPELLER.known
correct_word = SHAPES_SPELLER.correct_word
candidates = SHAPES_SPELLER.candidates
split_joined = SHAPES_SPELLER.split_joined
correct = SHAPES_SPELLER.correct
# "on the left of X" is a relation, "the square on the left" an extreme: these phrases
# are joined only when no "of"/"than" follows.
_NOT_BEFORE_OF = {k for k, v in _PHRASES if v[0] in ("leftmost", "rightmost") and k[0] in ("on", "at")}
# The phrases by their first word, longest first as in _PHRASES: a token is tried only
# against the phrases it can start.
_PHRASES_FROM: dict[str, list[tuple[tuple[str, ...], list[str]]]] = {}
for _words, _replacement in _PHRASES:
    _PHRASES_FROM.setdefault(_words[0], []).append((_words, _replacement))


# -- spelling ---------------------------------------------------------------------------


def join_phrases(tokens: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for words, replacement in _PHRASES_FROM.get(tokens[i], ()):
            following = tokens[i + len(words)] if i + len(words) < len(tokens) else ""
            if tuple(tokens[i : i + len(words)]) == words and not (
                words in _NOT_BEFORE_OF and following in ("of", "than", "side")
            ):
                out.extend(replacement)
                i += len(words)
                break
        else:
            out.append(tokens[i])
            i += 1
    return out
