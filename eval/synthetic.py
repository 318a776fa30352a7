"""Synthetic claim errors for training the checker: the mistakes summaries really make, made on purpose.

Each function takes a spaCy-parsed sentence and returns a changed copy that the sentence no longer
supports, or None when the sentence offers nothing to change. ``pool`` holds entity texts by label from
the same document (intrinsic errors, the kind FRANK annotates) and from other documents (extrinsic ones).
Positive variants (the sentence trimmed to a shorter statement it still entails) are made here too, so a
claim's length or its verbatim copy never gives its label away.
"""

from __future__ import annotations

import random
import re

NAME_LABELS = ("PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT")
NUMBER_LABELS = ("CARDINAL", "MONEY", "PERCENT", "QUANTITY")
WORD_NUMBERS = "two three four five six seven eight nine ten eleven twelve twenty hundred thousand".split()
MONTHS = "January February March April May June July August September October November December".split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_DIGITS = re.compile(r"\d[\d,]*(?:\.\d+)?")
_BE_HAVE_MODAL = {"is", "are", "was", "were", "has", "have", "had", "will", "would", "can", "could", "should"}


def _replace(doc, start: int, end: int, new: str) -> str:
    """The sentence with characters [start, end) replaced, spacing kept."""
    text = doc.text
    return text[:start] + new + text[end:]


def swap_name(doc, pool: dict[str, list[str]], rng: random.Random) -> str | None:
    """Another person, organisation or place of the same kind in place of one the sentence names."""
    entities = [e for e in doc.ents if e.label_ in NAME_LABELS]
    rng.shuffle(entities)
    for entity in entities:
        others = [t for t in pool.get(entity.label_, []) if t.lower() not in doc.text.lower()]
        if others:
            return _replace(doc, entity.start_char, entity.end_char, rng.choice(others))
    return None


def change_number(doc, pool: dict[str, list[str]], rng: random.Random) -> str | None:
    """A quantity the sentence gives, changed: another figure of the text or the same one scaled."""
    entities = [e for e in doc.ents if e.label_ in NUMBER_LABELS]
    rng.shuffle(entities)
    for entity in entities:
        match = _DIGITS.search(entity.text)
        if match:
            value = float(match.group().replace(",", ""))
            new_value = value * rng.choice((2, 3, 0.5, 10)) + rng.choice((0, 1, 7))
            new = f"{new_value:,.0f}" if value == int(value) else f"{new_value:.1f}"
            start = entity.start_char + match.start()
            return _replace(doc, start, start + len(match.group()), new)
        words = [w for w in WORD_NUMBERS if re.search(rf"\b{w}\b", entity.text, re.IGNORECASE)]
        if words:
            old = re.search(rf"\b{words[0]}\b", entity.text, re.IGNORECASE)
            start = entity.start_char + old.start()
            new = rng.choice([w for w in WORD_NUMBERS if w != words[0].lower()])
            return _replace(doc, start, start + len(old.group()), new)
    return None


def change_date(doc, pool: dict[str, list[str]], rng: random.Random) -> str | None:
    """A date or time the sentence gives, moved: another day, month or year."""
    for entity in (e for e in doc.ents if e.label_ in ("DATE", "TIME")):
        for names in (WEEKDAYS, MONTHS):
            for name in names:
                found = re.search(rf"\b{name}\b", entity.text)
                if found:
                    start = entity.start_char + found.start()
                    other = rng.choice([n for n in names if n != name])
                    return _replace(doc, start, start + len(name), other)
        year = re.search(r"\b(1[89]|20)\d\d\b", entity.text)
        if year:
            start = entity.start_char + year.start()
            return _replace(doc, start, start + 4, str(int(year.group()) + rng.choice((-3, -1, 1, 2))))
        others = [d for d in pool.get("DATE", []) if d.lower() != entity.text.lower()]
        if others:
            return _replace(doc, entity.start_char, entity.end_char, rng.choice(others))
    return None


def flip_negation(doc, pool: dict[str, list[str]], rng: random.Random) -> str | None:
    """The main verb negated, or its negation removed: "approved" -> "did not approve"."""
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is None or root.pos_ not in ("VERB", "AUX"):
        return None
    negation = next((c for c in root.children if c.dep_ == "neg"), None)
    if negation is not None:
        end = negation.idx + len(negation.text)
        start = negation.idx - 1 if negation.text.lower() in ("not", "never") else negation.idx
        return _replace(doc, start, end, "")
    auxiliary = next((c for c in root.children if c.dep_ in ("aux", "auxpass")), None)
    if auxiliary is not None and auxiliary.text.lower() in _BE_HAVE_MODAL:
        end = auxiliary.idx + len(auxiliary.text)
        return _replace(doc, end, end, " not")
    if root.lemma_ == "be" or root.text.lower() in _BE_HAVE_MODAL:
        end = root.idx + len(root.text)
        return _replace(doc, end, end, " not")
    if root.tag_ in ("VBD", "VBZ", "VBP"):
        helper = {"VBD": "did", "VBZ": "does", "VBP": "do"}[root.tag_]
        return _replace(doc, root.idx, root.idx + len(root.text), f"{helper} not {root.lemma_}")
    return None


def swap_roles(doc, pool: dict[str, list[str]], rng: random.Random) -> str | None:
    """Who did it and to whom swapped: "A beat B" -> "B beat A"."""
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is None:
        return None
    subject = next((c for c in root.children if c.dep_ == "nsubj"), None)
    target = next((c for c in root.children if c.dep_ == "dobj"), None)
    if subject is None or target is None or subject.pos_ == "PRON" or target.pos_ == "PRON":
        return None
    a = (min(t.idx for t in subject.subtree), max(t.idx + len(t.text) for t in subject.subtree))
    b = (min(t.idx for t in target.subtree), max(t.idx + len(t.text) for t in target.subtree))
    if a[1] > b[0] or len(doc.text[a[0] : a[1]].split()) > 6 or len(doc.text[b[0] : b[1]].split()) > 6:
        return None
    text = doc.text
    first, second = text[a[0] : a[1]], text[b[0] : b[1]]
    if first.lower() == second.lower():
        return None
    if a[0] == 0:  # keep sentence case, so capitals never give the swap away
        second = second[0].upper() + second[1:]
        if doc[subject.left_edge.i].pos_ != "PROPN":
            first = first[0].lower() + first[1:]
    return text[: a[0]] + second + text[a[1] : b[0]] + first + text[b[1] :]


ERRORS = {
    "name": swap_name,
    "number": change_number,
    "date": change_date,
    "negation": flip_negation,
    "roles": swap_roles,
}


def shorter_statement(doc, rng: random.Random) -> str | None:
    """A shorter statement the sentence still entails: its main clause without a trailing modifier or
    a clause after a comma. None when nothing can be dropped safely."""
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is None:
        return None
    droppable = [
        c
        for c in root.children
        # Not conditions ("if ..."), reported content ("said that ...") or negations: dropping those
        # changes what is claimed.
        if c.dep_ in ("prep", "npadvmod", "conj", "cc")
        and c.i > root.i
        and not any(t.dep_ == "neg" for t in c.subtree)
    ]
    if droppable:
        cut = min(t.idx for t in droppable[-1].subtree)
        head = doc.text[:cut].rstrip(" ,;:-")
        if len(head.split()) >= 4:
            return head + "."
    if "," in doc.text:
        head = doc.text.split(",")[0].strip()
        if len(head.split()) >= 5 and any(t.dep_ == "ROOT" and t.idx < len(head) for t in doc):
            return head + "."
    return None
