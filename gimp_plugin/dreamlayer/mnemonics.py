"""Keyboard mnemonics for a dialog's labels: one underlined letter each, unique within the dialog.

GIMP 3 logs "no mnemonic" or "duplicate mnemonic" for every property label of a procedure dialog without a letter
of its own, and its buttons already claim six letters. Twenty letters are left, fewer of which occur in the
labels, so a dialog shows only the settings that can each have a letter: ``fit`` takes groups of labels (a setting
can have two: "Random seed" and "Seed") in order of importance and keeps a group only if all of its labels, and
all the labels kept before it, still get a letter each (a bipartite matching, re-arranged as groups arrive).
"""

from __future__ import annotations

# The letters of GimpProcedureDialog's own buttons in GIMP 3.0 and 3.2: _Load Saved Settings, _Save Settings,
# _Help, _Reset, _Cancel and _OK.
DIALOG_BUTTON_LETTERS = frozenset("lshrco")


def fit(groups: list[tuple[str, ...]], taken: frozenset[str] = DIALOG_BUTTON_LETTERS) -> list[tuple[str, ...] | None]:
    """For each group, in order of importance, its labels marked with their mnemonics, or None if it cannot have
    letters of its own."""
    labels = [label for group in groups for label in group]
    candidates = [_letters(label, taken) for label in labels]
    owner: dict[str, int] = {}  # letter -> index of the label that has it
    kept, start = [], 0
    for group in groups:
        indices = range(start, start + len(group))
        start += len(group)
        before = dict(owner)
        if all(_augment(i, candidates, owner, set()) for i in indices):
            kept.append(indices)
        else:
            owner.clear()
            owner.update(before)
            kept.append(None)
    letter_of = {index: letter for letter, index in owner.items()}
    return [tuple(_mark(labels[i], letter_of[i]) for i in indices) if indices is not None else None for indices in kept]


def _augment(index: int, candidates: list[list[str]], owner: dict[str, int], seen: set[str]) -> bool:
    """Give label ``index`` a letter, moving other labels to their other letters if need be."""
    for letter in candidates[index]:
        if letter in seen:
            continue
        seen.add(letter)
        if letter not in owner or _augment(owner[letter], candidates, owner, seen):
            owner[letter] = index
            return True
    return False


def _initials_first(label: str) -> list[int]:
    initials = [i for i, c in enumerate(label) if c.isalpha() and (i == 0 or not label[i - 1].isalnum())]
    return initials + [i for i, c in enumerate(label) if c.isalpha() and i not in initials]


def _letters(label: str, taken: frozenset[str]) -> list[str]:
    """The letters a label could use, a word's first letter first."""
    out: list[str] = []
    for i in _initials_first(label):
        letter = label[i].lower()
        if letter not in taken and letter not in out:
            out.append(letter)
    return out


def _mark(label: str, letter: str) -> str:
    """The label with an underscore before ``letter`` (at a word's start if it is one); other underscores doubled."""
    index = next(i for i in _initials_first(label) if label[i].lower() == letter)
    return "".join(("_" if i == index else "") + c.replace("_", "__") for i, c in enumerate(label))
