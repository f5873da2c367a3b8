"""What every world's reader shares: clean-up, the speller, plurals, shorthand, and
the words no world's models can answer about.

Each world reads questions in its own words (`app/worlds/<world>/reading.py`), but a
question is typed the same way whatever the picture: the same clean-up, the same
kinds of slip, the same chat shorthand. Keeping those here is what keeps the readers
from disagreeing ("whats" is "what is" in every world).

Speller rules:
- a slip is corrected only to a word the reader knows: one edit away (swapped,
  dropped, doubled or wrong letter; the first letter kept in words of up to four
  letters unless the first two are swapped, "hwat"; two-letter words only swapped,
  "si"), or two for words of six letters or more, keeping the first letter; words
  the reader knows, including the ones it knows it cannot answer, are never "corrected";
- between equally close words, two swapped letters win, then the word lists in the
  order the world ranks them, then a dropped or doubled letter; `candidates` lists
  them in that order, for a reader's second try.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

# Chat shorthand, read before spelling (one token -> its words).
SHORTHAND = {
    "whats": "what is",
    "wat": "what",
    "wht": "what",
    "hw": "how",
    "u": "you",
    "r": "are",
    "pls": "please",
    "wheres": "where is",
    "hows": "how is",
    "ppl": "people",
    "theres": "there is",
}
# Words that carry no meaning in any world: politeness, "in the picture", "can you see".
FILLER_CORE = (
    "the a an please can you me i tell show in on at of this that it picture image photo here see visible shown "
    "displayed identify does do is are was were have has there thing things which what how any some"
).split()
# A question with one of these asks what no world's models can know: reasons, feelings, names, time.
OUT_OF_SCOPE_CORE = ("why who whom whose when feel feeling mood emotion happy sad called age old time weather cost price").split()


def clean(question: str) -> list[str]:
    """Lower case, Unicode folded, invisible characters and punctuation dropped."""
    text = unicodedata.normalize("NFKC", question).lower()
    text = re.sub(r"(?<=[a-z])['\u2019]s\b", "", text)  # "the circle's colour": the possessive adds nothing
    text = "".join(" " if unicodedata.category(ch)[0] in "PSZC" else ch for ch in text)
    return re.sub(r"[^a-z0-9 ]+", " ", text).split()


def expand_shorthand(tokens: list[str]) -> list[str]:
    return [word for token in tokens for word in SHORTHAND.get(token, token).split()]


def plural_forms(word: str) -> tuple[str, ...]:
    """English plurals of a noun, the usual spelling first: box -> boxes, puppy ->
    puppies, tomato -> tomatoes (and tomatos), disc -> discs; of a phrase, its last word's."""
    head, _, last = word.rpartition(" ")
    if head:
        return tuple(f"{head} {p}" for p in plural_forms(last))
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return (word + "es",)
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return (word[:-1] + "ies",)
    if word.endswith("o"):
        return (word + "es", word + "s")
    return (word + "s",)


class Speller:
    """Corrects typing slips to the words of one world's vocabulary."""

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
                not dropped_or_doubled(token, f[0]),
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
        overrides the most likely word for a slip (a reader's second try)."""
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


def dropped_or_doubled(token: str, word: str) -> bool:
    """A letter left out or typed twice, the commonest slips ('gren' is green, not grey)."""
    short, long = sorted((token, word), key=len)
    letters = iter(long)
    return len(long) == len(short) + 1 and all(ch in letters for ch in short)
