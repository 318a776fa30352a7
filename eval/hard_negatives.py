"""Hard negatives for the claim checker, made with spaCy from training premises.

A claim that repeats a premise sentence with one thing changed reads almost exactly like its evidence, and
a checker trained only on human-written NLI pairs tends to call it entailed. Each kind below changes one
thing of one sentence of a premise, in a way the premise itself shows to be wrong or unsupported:

- ``entity``: a name, place, date or number replaced by another of the same type from the same premise;
- ``roles``: the subject and the object of a verb swapped;
- ``speaker``: a statement moved to another person or organisation the premise names;
- ``negation``: the main verb negated, or a negation removed, or a word replaced by its opposite
  (factaid's opposites.txt), in varied words ("did not", "failed to", "never");
- ``overstatement``: a quantity made universal ("some" to "all"), or an unqualified "for the first time"
  or "unanimously" added.

The first four contradict the premise or at least are not entailed by it; an overstatement is unsupported.
All of them are trained as "not entailed" (p(neutral) + p(contradiction)), but negations, which the
premise contradicts outright, as contradiction. Beside the negatives, the unchanged sentence is kept as an
entailed claim of the same premise (``copy``), so the checker learns the change and not the template.
Only training premises are edited (the held-out ones give the held-out edits), never an example or probe.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tqdm import tqdm

KINDS = ("entity", "roles", "speaker", "negation", "overstatement")
NOT_ENTAILED, ENTAILMENT, CONTRADICTION = -1, 0, 2
_SWAPPABLE = {"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT", "DATE", "CARDINAL", "MONEY", "PERCENT"}
_SPEAKERS = {"PERSON", "ORG", "NORP", "GPE"}
_SPEECH = {
    "say", "tell", "announce", "state", "claim", "report", "add", "confirm", "insist", "warn", "argue",
    "explain", "note", "write", "accuse", "promise", "predict", "describe", "call", "urge",
}  # fmt: skip
_UNIVERSAL = {"some": "all", "several": "all", "many": "all", "most": "all", "few": "all", "a": None}
_VOTES = {"vote", "approve", "pass", "reject", "agree", "decide", "elect", "adopt", "back", "endorse"}
_MIN_WORDS, _MAX_WORDS = 6, 45


@dataclass(frozen=True)
class Edit:
    premise: str
    claim: str
    label: int  # ENTAILMENT, CONTRADICTION or NOT_ENTAILED
    kind: str  # one of KINDS, or "copy"


def _replace(sentence, start: int, end: int, text: str) -> str:
    """The sentence's text with its characters [start, end) (document offsets) replaced by ``text``."""
    base = sentence.start_char
    return sentence.text[: start - base] + text + sentence.text[end - base :]


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _other_names(ent, doc, labels: set[str]) -> list[str]:
    """The texts of the document's entities of ``labels`` that neither hold nor are held in ``ent``'s."""
    own = ent.text.lower()
    return sorted(
        {
            o.text
            for o in doc.ents
            if o.label_ in labels and o.text.lower() not in own and own not in o.text.lower()
        }
    )


def _entity_swap(sentence, doc, rng: random.Random) -> str | None:
    candidates = []
    for ent in sentence.ents:
        if ent.label_ not in _SWAPPABLE:
            continue
        candidates += [(ent, other) for other in _other_names(ent, doc, {ent.label_})]
    if not candidates:
        return None
    ent, other = rng.choice(candidates)
    return _replace(sentence, ent.start_char, ent.end_char, other)


def _span(token):
    return (
        token.left_edge.idx,
        token.right_edge.idx + len(token.right_edge.text),
        token.right_edge.i - token.left_edge.i + 1,
    )


def _role_swap(sentence, doc, rng: random.Random) -> str | None:
    options = []
    for verb in sentence:
        if verb.pos_ != "VERB":
            continue
        subjects = [c for c in verb.children if c.dep_ == "nsubj" and c.pos_ in {"PROPN", "NOUN"}]
        objects = [c for c in verb.children if c.dep_ == "dobj" and c.pos_ in {"PROPN", "NOUN"}]
        for subject in subjects:
            for obj in objects:
                (s0, s1, sn), (o0, o1, on) = _span(subject), _span(obj)
                if sn > 6 or on > 6 or not s1 <= verb.idx < o0:
                    continue
                if any(t.pos_ in {"VERB", "AUX", "PRON"} for t in (*subject.subtree, *obj.subtree)):
                    continue  # a clause or a pronoun, not a plain noun phrase
                if doc.text[s0:s1].lower() == doc.text[o0:o1].lower():
                    continue
                options.append((s0, s1, o0, o1))
    if not options:
        return None
    s0, s1, o0, o1 = rng.choice(options)
    base, text = sentence.start_char, sentence.text
    subject_text, object_text = text[s0 - base : s1 - base], text[o0 - base : o1 - base]
    if s0 == base and sentence[0].pos_ != "PROPN":  # the subject moves from the start of the sentence
        subject_text = subject_text[:1].lower() + subject_text[1:]
    swapped = text[: s0 - base] + object_text + text[s1 - base : o0 - base] + subject_text + text[o1 - base :]
    return _capitalised(swapped)


def _speaker_swap(sentence, doc, rng: random.Random) -> str | None:
    options = []
    for verb in sentence:
        if verb.lemma_ not in _SPEECH:
            continue
        for subject in (c for c in verb.children if c.dep_ == "nsubj"):
            speaker = next(
                (e for e in sentence.ents if e.start <= subject.i < e.end and e.label_ in _SPEAKERS), None
            )
            if speaker is None:
                continue
            # A person's words may be moved to an organisation and back; a nation's only to a nation.
            kinds = {speaker.label_} | ({"PERSON", "ORG"} if speaker.label_ in {"PERSON", "ORG"} else set())
            options += [(speaker, other) for other in _other_names(speaker, doc, kinds)]
    if not options:
        return None
    speaker, other = rng.choice(options)
    return _replace(sentence, speaker.start_char, speaker.end_char, other)


def _negation(sentence, rng: random.Random, opposites: dict[str, frozenset[str]]) -> str | None:
    from lemminflect import getInflection

    root = sentence.root
    if (
        root.pos_ not in {"VERB", "AUX"}
        or not root.text.isalpha()
        or not root.idx
        or doc_text_before(root) != " "
    ):
        return None  # a contraction ("there's") or a verb glued to a word cannot take a negation in place
    negations = [c for c in root.children if c.dep_ == "neg"]
    if negations:  # a negation removed: "did not approve" -> "approved"
        neg = negations[0]
        auxiliaries = [c for c in root.children if c.dep_ in {"aux", "auxpass"} and c.i < neg.i]
        if auxiliaries and auxiliaries[-1].lemma_ == "do" and root.tag_ == "VB":
            tag = {"did": "VBD", "does": "VBZ"}.get(auxiliaries[-1].lower_, "VBP")
            inflected = getInflection(root.lemma_, tag)
            if not inflected:
                return None
            start, end = auxiliaries[-1].idx, root.idx + len(root.text)
            return _capitalised(_replace(sentence, start, end, inflected[0]))
        end = neg.idx + len(neg.text_with_ws)
        text = _replace(sentence, neg.idx, end, "")
        return _capitalised(text.replace(" n't", "").replace("n't ", " "))
    words = [t for t in sentence if t.pos_ in {"ADJ", "VERB"} and t.lemma_.lower() in opposites]
    if words and rng.random() < 0.4:  # a word replaced by its opposite
        word = rng.choice(words)
        opposite = rng.choice(sorted(opposites[word.lemma_.lower()]))
        inflected = getInflection(opposite, word.tag_) or (opposite,)
        return _replace(sentence, word.idx, word.idx + len(word.text), inflected[0])
    auxiliaries = [c for c in root.children if c.dep_ in {"aux", "auxpass"}]
    if root.pos_ == "AUX" and root.lemma_ == "be":
        return _replace(sentence, root.idx, root.idx + len(root.text), root.text + " not")
    if auxiliaries:
        aux = auxiliaries[0]
        word = rng.choice(["not", "never"]) if aux.lemma_ in {"have", "will"} else "not"
        return _replace(sentence, aux.idx, aux.idx + len(aux.text), f"{aux.text} {word}")
    if root.tag_ == "VBD":
        phrase = rng.choice([f"did not {root.lemma_}", f"never {root.text}", f"failed to {root.lemma_}"])
    elif root.tag_ in {"VBZ", "VBP"}:
        phrase = ("does not " if root.tag_ == "VBZ" else "do not ") + root.lemma_
    else:
        return None
    return _replace(sentence, root.idx, root.idx + len(root.text), phrase)


def doc_text_before(token) -> str:
    return token.doc.text[token.idx - 1 : token.idx]


def _overstatement(sentence, rng: random.Random) -> str | None:
    quantifiers = [
        t
        for t in sentence
        if t.lower_ in _UNIVERSAL and _UNIVERSAL[t.lower_] and t.dep_ in {"det", "amod", "nsubj", "dobj"}
    ]
    if quantifiers and rng.random() < 0.6:
        word = rng.choice(quantifiers)
        replacement = "All" if word.i == sentence.start else "all"
        return _replace(sentence, word.idx, word.idx + len(word.text), replacement)
    text = sentence.text.rstrip()
    end = len(text) - 1 if text[-1:] in ".!" else len(text)
    if sentence.root.lemma_ in _VOTES and "unanimous" not in text.lower():
        return text[:end] + " unanimously" + text[end:]
    if "first" in text.lower() or sentence.root.tag_ != "VBD":
        return None
    return text[:end] + " for the first time" + text[end:]


def _sentences(doc) -> Iterator:
    for sentence in doc.sents:
        words = sum(not t.is_punct for t in sentence)
        if _MIN_WORDS <= words <= _MAX_WORDS:
            yield sentence


def edits_of(premises: Iterable[str], per_kind: int, seed: int, copies_per_kind: float = 0.5) -> list[Edit]:
    """Up to ``per_kind`` edits of each kind, each of one sentence of a premise, and about
    ``copies_per_kind`` times as many unchanged sentences as entailed copies; seeded."""
    from factaid import facts, models

    rng = random.Random(seed)
    nlp = models.get_nlp()
    opposites = facts.opposites()
    wanted = {kind: per_kind for kind in KINDS}
    wanted["copy"] = int(per_kind * len(KINDS) * copies_per_kind)
    found: list[Edit] = []
    texts = list(dict.fromkeys(p for p in premises if len(p) < 2000))
    rng.shuffle(texts)
    makers = {
        "entity": lambda s, d: _entity_swap(s, d, rng),
        "roles": lambda s, d: _role_swap(s, d, rng),
        "speaker": lambda s, d: _speaker_swap(s, d, rng),
        "negation": lambda s, d: _negation(s, rng, opposites),
        "overstatement": lambda s, d: _overstatement(s, rng),
    }
    labels = {"negation": CONTRADICTION}
    with tqdm(total=sum(wanted.values()), desc="hard negatives", unit="edit", mininterval=2) as bar:
        for doc in nlp.pipe(texts, batch_size=64):
            if not any(wanted.values()):
                break
            sentences = list(_sentences(doc))
            rng.shuffle(sentences)
            kinds = [k for k in KINDS if wanted[k]]
            rng.shuffle(kinds)
            edit = next(
                (
                    (kind, sentence, claim)
                    for kind in kinds
                    for sentence in sentences[:4]
                    if (claim := makers[kind](sentence, doc))
                    and claim.strip() != sentence.text.strip()
                    and claim.lower() not in doc.text.lower()
                ),
                None,
            )
            if edit is None:
                continue
            kind, sentence, claim = edit  # one edit per premise, of the first kind that applies
            found.append(Edit(doc.text, claim.strip(), labels.get(kind, NOT_ENTAILED), kind))
            wanted[kind] -= 1
            bar.update()
            if wanted["copy"] and rng.random() < copies_per_kind * 1.2:
                found.append(Edit(doc.text, sentence.text.strip(), ENTAILMENT, "copy"))
                wanted["copy"] -= 1
                bar.update()
    return found
