"""Spelling: a typed question cleaned, its typing slips corrected, its phrases joined.

The first step of reading a question (`app.worlds.shapes.reading`). Rules:
- a slip is corrected only to a word the reader knows: one edit away (swapped,
  dropped, doubled or wrong letter; the first letter kept in words of up to four
  letters unless the first two are swapped, "hwat"; two-letter words only swapped,
  "si"), or two for words of six letters or more, keeping the first letter; words
  the reader knows, including the ones it knows it cannot answer, are never "corrected";
- between equally close words, two swapped letters win, then the shapes world's own
  words, then cues, filler and out-of-scope words, then a dropped or doubled letter;
  `candidates` lists them in that order, for the reader's second try;
- phrases ("far left", "on top of", "what's") become the template language's words.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from app.worlds.shapes import words as w

NOUNS = w.noun_table()
ADJECTIVES = w.adjective_table()
ATTRIBUTE_OF = {word: a for a, words in w.ATTRIBUTE_WORDS.items() for word in words}
DIRECTION_OF = {word: d for d, words in w.DIRECTION_WORDS.items() for word in words}
EXTREME_OF = {word: d for d, words in w.EXTREME_WORDS.items() for word in words}
COMPARATIVE_OF = {word: s for s, words in w.COMPARATIVE_SIZE.items() for word in words}
DETERMINERS = ("the", "a", "an", "any", "some", "all", "every", "each", "no", "both")
_PHRASES = sorted(((tuple(k.split()), v.split()) for k, v in w.PHRASES.items()), key=lambda p: -len(p[0]))


class Speller:
    """Corrects typing slips to the words of one vocabulary (the shapes world's here,
    the photo path's in `app.worlds.photo.reading`)."""

    def __init__(
        self,
        ranked: list[list[str]] | tuple,
        also_known: set[str] | frozenset[str] = frozenset(),
        last: dict[str, int] | None = None,
    ) -> None:
        # Words a slip may be corrected to, best first when two are equally close; `last`
        # (word -> rank) come after all the others when rank and length tie too.
        self.rank: dict[str, int] = {}
        for rank, words in enumerate(ranked):
            for word in words:
                self.rank.setdefault(word, rank)
        for word, rank in (last or {}).items():
            self.rank.setdefault(word, rank)
        self.targets = list(self.rank)
        self.known = set(self.targets) | set(also_known)

    def correct_word(self, token: str) -> str | None:
        """The known word a slip most likely meant, or None."""
        candidates = self.candidates(token)
        return candidates[0] if candidates else None

    def candidates(self, token: str) -> list[str]:
        """The known words a slip may have meant, most likely first."""
        if token in self.known or not token.isalpha() or len(token) < 2:
            return []
        if len(token) == 2:  # only a swap: "si" is "is", "fo" is "of"
            return [token[::-1]] if token[::-1] in self.known else []
        limit = 1 if len(token) <= 5 else 2
        found = process.extract(token, self.targets, scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=None)
        # Slips rarely touch the first letter: short words and two-edit matches must keep it,
        # and two edits are allowed only between long words ("zebra" is not "zero").
        first_two_swapped = token[1::-1] + token[2:]  # "hwat" is "what"
        found = [
            f
            for f in found
            if (f[0][0] == token[0] or (f[1] == 1 and (len(token) > 4 or f[0] == first_two_swapped)))
            and (f[1] == 1 or len(f[0]) >= 5)
        ]
        found.sort(
            key=lambda f: (
                f[1],
                f[0][0] != token[0],
                sorted(token) != sorted(f[0]),  # two letters swapped: "teh" is "the", not "ten"
                self.rank[f[0]],
                not _dropped_or_doubled(token, f[0]),
                abs(len(f[0]) - len(token)),
            ),
        )
        return [f[0] for f in found]

    def split_joined(self, token: str) -> list[str] | None:
        """'howmany' -> ['how', 'many'] when both halves are known words."""
        for i in range(2, len(token) - 1):
            if token[:i] in self.known and token[i:] in self.known:
                return [token[:i], token[i:]]
        return None

    def correct(self, tokens: list[str], prefer: dict[str, str] | None = None) -> tuple[list[str], list[dict[str, str]]]:
        """Tokens with their slips corrected, and the corrections; `prefer` (slip -> word)
        overrides the most likely word for a slip (the reader's second try)."""
        out: list[str] = []
        corrections: list[dict[str, str]] = []
        for token in tokens:
            fixed = (prefer or {}).get(token) or self.correct_word(token)
            parts = [fixed] if fixed else (self.split_joined(token) if token not in self.known else None)
            if parts:
                corrections.append({"from": token, "to": " ".join(parts)})
                out.extend(parts)
            else:
                out.append(token)
        return out, corrections


def _dropped_or_doubled(token: str, word: str) -> bool:
    """A letter left out or typed twice, the commonest slips ('gren' is green, not grey)."""
    short, long = sorted((token, word), key=len)
    letters = iter(long)
    return len(long) == len(short) + 1 and all(ch in letters for ch in short)


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


def clean(question: str) -> list[str]:
    """Lower case, Unicode folded, invisible characters and punctuation dropped."""
    text = unicodedata.normalize("NFKC", question).lower()
    text = re.sub(r"(?<=[a-z])['\u2019]s\b", "", text)  # "the circle's colour": the possessive adds nothing
    text = "".join(" " if unicodedata.category(ch)[0] in "PSZC" else ch for ch in text)
    return re.sub(r"[^a-z0-9 ]+", " ", text).split()


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
