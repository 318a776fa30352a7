"""Comparable facts in a sentence: quantities, dates, names, negation and who-does-what.

The verifier compares these between a claim and its evidence (a changed number, a swapped actor,
a dropped "not"); the cross-source view compares them between sources. Everything works on spaCy docs.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from . import models

_UNITS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
_TENS = {
    w: 10 * (i + 2)
    for i, w in enumerate(["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"])
}
_SCALES = {
    "hundred": 1e2,
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
    "bn": 1e9,
    "m": 1e6,
}
_FRACTIONS = {"half": 0.5, "quarter": 0.25, "third": 1 / 3}
_PLURAL_FRACTIONS = {
    "halves": 0.5,
    "quarters": 0.25,
    "thirds": 1 / 3,
}  # "three quarters" multiplies
_FILLERS = {"a", "an", "and", "of"}
_NUMBER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")  # 250,000 / 3.5 / 2015, not 1.2.3
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ]
    )
}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())} | {"sept": 9})
_WEEKDAYS = {
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
}
_RELATIVE = {"yesterday", "today", "tomorrow", "tonight"}
_RELATIVE_UNITS = {"week", "month", "year", "weekend", "decade", "century"}
_NEGATIONS = {
    "not",
    "no",
    "never",
    "n't",
    "nobody",
    "nothing",
    "none",
    "neither",
    "nor",
    "without",
}
NAME_TYPES = {
    "PERSON",
    "ORG",
    "GPE",
    "NORP",
    "LOC",
    "FAC",
    "EVENT",
    "PRODUCT",
    "WORK_OF_ART",
    "LAW",
}
WORD = re.compile(r"\w+")
# Function words: no fact rests on them, so retrieval does not match on them (nor does plain BM25).
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "and",
        "or",
        "but",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "has",
        "have",
        "had",
        "it",
        "its",
        "this",
        "that",
        "with",
        "as",
        "by",
        "from",
        "he",
        "she",
        "they",
        "we",
        "you",
        "i",
        "his",
        "her",
        "their",
        "our",
        "not",
        "no",
    ]
)
_PRONOUNS = {
    "he",
    "she",
    "it",
    "they",
    "we",
    "i",
    "you",
    "who",
    "which",
    "that",
    "this",
    "these",
    "those",
}


# Units of one kind: the same number in another of them is another quantity of the same thing ("raging
# for four and a half years", not "months").
DURATIONS = frozenset(["second", "minute", "hour", "day", "week", "month", "year", "decade", "century"])


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str  # the noun the number counts ("people", "years", "percent"), lemmatised; "" if none
    text: str


@dataclass(frozen=True)
class Predicate:
    """A verb, adjective or role noun that has opposites ("approve", "high", "ally"), and what it is said
    of."""

    lemma: str
    negated: bool
    arguments: frozenset[str]  # lemmas of its subject's and object's heads, or of the noun it describes
    # The verb it governs and that verb's objects: ("hold", {"election"}) in "refused to hold elections"
    # and in "is ready to hold snap elections".
    action: tuple[str, frozenset[str]] | None = None
    # Whose role it is, for a role noun, when named: the holder's lemma in "X's ally" and "an ally of X".
    holders: frozenset[str] = frozenset()


@dataclass
class Facts:
    """What one sentence (or claim) asserts, in comparable form."""

    lemmas: set[str] = field(default_factory=set)  # content lemmas
    terms: tuple[str, ...] = ()  # lower-case lemmas in order without STOP_WORDS: what retrieval matches
    quantities: list[Quantity] = field(default_factory=list)
    dates: set[str] = field(default_factory=set)  # "year:2015", "month:9", "weekday:friday", "rel:next month"
    names: list[str] = field(default_factory=list)  # entity texts, lower-cased
    roles: dict[str, set[str]] = field(default_factory=dict)  # verb lemma -> names in its subject
    verbs: set[str] = field(default_factory=set)  # lemmas of its verbs
    predicates: list[Predicate] = field(default_factory=list)  # words with opposites, see opposites()


def _word_value(word: str) -> float | None:
    if _NUMBER.match(word):
        return float(word.replace(",", ""))
    if word in _UNITS:
        return float(_UNITS[word])
    return float(_TENS[word]) if word in _TENS else None


def _is_numeric_word(word: str) -> bool:
    return _word_value(word) is not None or word in _SCALES or word in _FRACTIONS or word in _PLURAL_FRACTIONS


def parse_number(words: list[str]) -> float | None:
    """Value of a run of number words: "a quarter of a million" -> 250000, "4.5 million" -> 4.5e6."""
    total, current, seen = 0.0, 0.0, False
    for word in words:
        value = _word_value(word)
        if value is not None:
            current, seen = current + value, True
        elif word in _PLURAL_FRACTIONS:
            current, seen = (current or 1) * _PLURAL_FRACTIONS[word], True
        elif word in _FRACTIONS:  # "four and a half" adds, "a quarter" stands alone
            current, seen = (
                current + _FRACTIONS[word] if current else _FRACTIONS[word],
                True,
            )
        elif word == "hundred":
            current = (current or 1) * 100
        elif word in _SCALES and (seen or words[0] in {"a", "an"}):
            total, current, seen = total + (current or 1) * _SCALES[word], 0.0, True
    return total + current if seen else None


_YEAR = r"1[89]\d\d|20\d\d"
_ISO_DATE = re.compile(rf"\b(?:{_YEAR})-(0[1-9]|1[0-2])-[0-3]\d\b")  # "2017-11-07"


def _is_year(word: str) -> bool:
    return bool(re.fullmatch(_YEAR, word))


def quantities(doc) -> list[Quantity]:
    """Numbers with the noun they count; years and the pronoun "one" are left to dates and grammar."""
    found, tokens, i = [], list(doc), 0
    iso_dates = [range(m.start(), m.end()) for m in _ISO_DATE.finditer(doc.text)]
    while i < len(tokens):
        word = tokens[i].lower_
        if any(tokens[i].idx in iso_date for iso_date in iso_dates) or not (
            _is_numeric_word(word)
            or (
                word in {"a", "an"}
                and i + 1 < len(tokens)
                and tokens[i + 1].lower_ in _FRACTIONS | _SCALES.keys()
            )
        ):
            i += 1
            continue
        j = i
        while j < len(tokens) and _in_number(tokens, j):
            j += 1
        while j > i and tokens[j - 1].lower_ in _FILLERS | {"-"}:
            j -= 1
        words = [t.lower_ for t in tokens[i:j] if t.text != "-"]
        value = parse_number(words)
        after_month = i > 0 and tokens[i - 1].lower_.rstrip(".") in _MONTHS  # "Sept. 4" is a date
        skip = (
            value is None
            or after_month
            or (len(words) == 1 and (_is_year(words[0]) or words[0] in {"one", "a", "an"}))
        )
        if not skip:
            unit = _unit_after(tokens, j)
            found.append(Quantity(value, unit, doc[i:j].text))
        i = max(j, i + 1)
    return found


def _in_number(tokens, j: int) -> bool:
    """Whether token ``j`` carries on the number that the tokens before it began."""
    if tokens[j].text == "-":  # "twenty-five" is one number; "3-4" and "2010-2012" are ranges of two
        return not tokens[j - 1].text[:1].isdigit()
    if tokens[j].lower_ == "and":
        return _and_continues(tokens, j)
    if tokens[j].lower_ == "of":  # "a quarter of a million" is one number; "one of five sports" is five
        previous = tokens[j - 1].lower_
        return previous in _FRACTIONS or previous in _PLURAL_FRACTIONS or previous in _SCALES
    return _is_numeric_word(tokens[j].lower_) or tokens[j].lower_ in _FILLERS


def _and_continues(tokens, j: int) -> bool:
    """Whether the "and" at ``j`` is inside one number ("two hundred and fifty", "four and a half")
    rather than between two ("between 200 and 300", "$5 million and 20 jobs")."""
    after = [t.lower_ for t in tokens[j + 1 : j + 5] if t.text != "-"][:2]  # "four-and-a-half"
    before = next((t.lower_ for t in reversed(tokens[:j]) if t.text != "-"), "")
    if len(after) == 2 and after[0] in {"a", "an"} and after[1] in _FRACTIONS:
        return True
    return before in _SCALES and bool(after) and (after[0] in _UNITS or after[0] in _TENS)


def _unit_after(tokens, j: int) -> str:
    for token in tokens[j : j + 3]:
        if token.lower_ in {"%", "percent", "per"}:
            return "percent"
        if token.pos_ in {"NOUN", "PROPN"}:
            return token.lemma_.lower()
    return ""


def dates(doc) -> set[str]:
    found: set[str] = set()
    tokens = list(doc)
    for i, token in enumerate(tokens):
        word = token.lower_.rstrip(".")
        if _is_year(word):
            found.add(f"year:{word}")
        elif word in _MONTHS and (token.text[0].isupper() and word != "may" or token.ent_type_ == "DATE"):
            found.add(f"month:{_MONTHS[word]}")
        elif word in _WEEKDAYS:
            found.add(f"weekday:{word}")
        elif word in _RELATIVE:
            found.add(f"rel:{word}")
        elif word in {"next", "last", "previous", "coming"} and i + 1 < len(tokens):
            following = tokens[i + 1].lemma_.lower()
            if following in _RELATIVE_UNITS or following in _WEEKDAYS:
                found.add(f"rel:{word} {following}")
    found.update(f"month:{int(month)}" for month in _ISO_DATE.findall(doc.text))
    return found


def date_text(date: str) -> str:
    """A date of ``dates()`` as people write it: "month:9" -> "September", "weekday:friday" -> "Friday"."""
    kind, value = date.split(":", 1)
    if kind == "month":
        return calendar.month_name[int(value)]
    return value.capitalize() if kind == "weekday" else value


_SUBJECT_DEPS = {"nsubj", "nsubjpass", "csubj"}
_COMPLEMENT_DEPS = {"acomp", "attr"}  # "was guilty", "was the type"


def _negated(tokens) -> bool:
    """Whether any of ``tokens`` carries a negation ("not", "never", ...)."""
    return any(c.dep_ == "neg" or c.lower_ in _NEGATIONS for t in tokens for c in t.children)


def subject_token(verb, pronouns: bool = False):
    """The head of the verb's subject, climbing through "ready to hold", "agreed and signed" and
    relative clauses; None when there is none or (unless ``pronouns``) it is a pronoun."""
    token = verb
    for _ in range(6):
        for child in token.children:
            if child.dep_ in _SUBJECT_DEPS:
                return None if child.lower_ in _PRONOUNS and not pronouns else child
        if token.dep_ in {"relcl", "acl"}:
            return token.head
        if token.dep_ not in {
            "xcomp",
            "acomp",
            "conj",
            "advcl",
            "pcomp",
        }:  # ROOT ends the climb
            return None
        token = token.head
    return None


def _agent(verb):
    """The noun of a passive verb's "by" phrase: "presented by Wright", "the rally attended by Izzard"."""
    return next(
        (t for a in verb.children if a.dep_ == "agent" for t in a.children if t.dep_ == "pobj"),
        None,
    )


def _actor(verb, pronouns: bool = False):
    """Who does it: the agent of a passive verb, else its subject (see subject_token); None for a passive
    with no agent or (unless ``pronouns``) a pronoun."""
    actor = _agent(verb)
    if actor is None:
        actor = subject_token(verb, pronouns=True)
        if actor is not None and actor.dep_ == "nsubjpass":
            actor = _agent(actor.head)
    return None if actor is None or (actor.lower_ in _PRONOUNS and not pronouns) else actor


def _is_name(token) -> bool:
    return token.pos_ == "PROPN" or token.ent_type_ in NAME_TYPES


def _named_actor(verb) -> set[str]:
    """The names in the verb's actor, when the actor itself is a name ("Anna Holm", not "the London
    team's captain"): a swapped name is the error summaries make, while described actors differ between
    faithful paraphrases."""
    head = _actor(verb)
    if head is None or not _is_name(head):
        return set()
    return {t.lower_ for t in head.subtree if t.is_alpha and not t.is_stop and _is_name(t)}


_REPORTING = {"say", "tell"}


def _compared_verbs(doc):
    return (t for t in doc if t.pos_ == "VERB" and t.lemma_.lower() not in {*_REPORTING, "be", "have"})


def roles(doc) -> dict[str, set[str]]:
    """Verb lemma -> the names in its actor (see _named_actor); reporting verbs are kept apart (speakers)."""
    found: dict[str, set[str]] = {}
    for token in _compared_verbs(doc):
        named = _named_actor(token)
        if named:
            found.setdefault(token.lemma_.lower(), set()).update(named)
    return found


# Prepositions that tie a named party to an action ("share power with the Islamic State", "imposed
# sanctions on Russia"); time and place ("in", "at", "during") are left out.


# Title noun -> person (head lemma of the name) -> the words that qualify the title for them: see titles().
Titles = dict[str, dict[str, frozenset[str]]]
_QUALIFIER_DEPS = {
    "amod",
    "compound",
    "poss",
}  # "Syrian president", "prime minister", "Syria's president"


def _qualifiers(title) -> frozenset[str]:
    return frozenset(
        t.lower_
        for c in title.children
        if c.dep_ in _QUALIFIER_DEPS
        for t in c.subtree
        if t.is_alpha and not t.is_stop
    )


def titles(docs) -> Titles:
    """The titles the texts give named people: "<qualifier> <Title> <Name>" and "<Name>, the <qualifier>
    <title>" both give title -> the name's head lemma -> {qualifier}. A text that names someone once by
    name and title may then call them by the title alone ("the <qualifier> <title> agrees")."""
    found: Titles = {}
    for doc in docs:
        for entity in doc.ents:
            person = entity.root
            if entity.label_ != "PERSON" or person.lower_ in _PRONOUNS:
                continue
            given = [
                c
                for c in person.children
                if c.dep_ in {"compound", "appos"} and c.pos_ in {"NOUN", "PROPN"} and not c.ent_type_
            ]
            if person.dep_ == "appos" and person.head.pos_ in {"NOUN", "PROPN"} and not person.head.ent_type_:
                given.append(person.head)
            for title in given:
                people = found.setdefault(title.lemma_.lower(), {})
                name = person.lemma_.lower()
                people[name] = people.get(name, frozenset()) | _qualifiers(title)
    return found


def described_person(token, known: Titles) -> str | None:
    """The person a title stands for ("the <qualifier> <title>" -> that person's head lemma): the one
    person whom the texts give that title with every qualifier the phrase has; None when no one or more
    than one fits."""
    if token is None or token.ent_type_ or token.dep_ == "compound":
        return None
    people = known.get(token.lemma_.lower(), {})
    wanted = _qualifiers(token)
    fits = [p for p, theirs in people.items() if all(any(same_word(w, t) for t in theirs) for w in wanted)]
    return fits[0] if len(fits) == 1 else None


def _referents(token, known: Titles) -> set[str]:
    """Lemmas a phrase headed by ``token`` may be compared by: its own, and the person a title stands for."""
    return {_head_lemma(token), described_person(token, known)} - {None}


@lru_cache(maxsize=1)
def opposites() -> dict[str, frozenset[str]]:
    """Lemma -> its opposites, read from the package's opposites.txt ("approve" -> reject, refuse, ...)."""
    found: dict[str, frozenset[str]] = {}
    text = resources.files("factaid").joinpath("opposites.txt").read_text("utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#")[0].strip()
        if not line:
            continue
        sides = [frozenset(side.split()) for side in line.split("|")]
        if len(sides) != 2 or not all(sides):
            raise ValueError(f"opposites.txt line {number}: expected 'words | opposite words', got {line!r}")
        for words, others in (sides, sides[::-1]):
            for word in words:
                found[word] = found.get(word, frozenset()) | others
    return found


def _head_lemma(token) -> str | None:
    return None if token is None or token.lower_ in _PRONOUNS else token.lemma_.lower()


def predicates(doc, known: Titles | None = None) -> list[Predicate]:
    """Verbs, adjectives and role nouns that have opposites, each with what it is said of: the heads of a
    verb's subject and direct object, the noun an adjective describes or the subject it is said of, the
    subject and holder of a role ("X has been Y's ally": x, y); a title's person as well
    (see titles())."""
    known = known or {}
    found = []
    for token in doc:
        lemma = token.lemma_.lower()
        role = token.pos_ == "NOUN" and token.dep_ == "attr"  # "X has been Y's ally"
        if (token.pos_ not in {"VERB", "ADJ"} and not role) or lemma not in opposites():
            continue
        holders = []  # whose role it is: "Y's ally", "an ally of Y"
        if token.pos_ == "ADJ" and token.dep_ == "amod":
            arguments = _referents(token.head, known)
            negated = False
        elif role:
            of = (p for c in token.children if c.dep_ == "prep" and c.lower_ == "of" for p in c.children)
            holders = [*(c for c in token.children if c.dep_ == "poss"), *of]
            arguments = _referents(subject_token(token.head), known)
            arguments |= {a for holder in holders for a in _referents(holder, known)}
            negated = _negated([token, token.head])
        else:
            arguments = _referents(subject_token(token), known)
            arguments |= {a for c in token.children if c.dep_ == "dobj" for a in _referents(c, known)}
            # "was not guilty": the negation hangs on the verb the adjective completes.
            negated = _negated([token, token.head] if token.dep_ in _COMPLEMENT_DEPS else [token])
        # Named holders only: a described holder ("the government") may be a named one in other words.
        named_holders = frozenset(t.lemma_.lower() for t in holders if _is_name(t))
        if arguments:
            action = _governed_action(token)
            found.append(Predicate(lemma, negated, frozenset(arguments), action, named_holders))
    return found


def _governed_action(token) -> tuple[str, frozenset[str]] | None:
    verb = next(
        (c for c in token.children if c.dep_ == "xcomp" and c.pos_ in {"VERB", "AUX"}),
        None,
    )
    if verb is None:
        return None
    objects = {_head_lemma(c) for c in verb.children if c.dep_ == "dobj"} - {None}
    return verb.lemma_.lower(), frozenset(objects)


def _same_action(a: Predicate, b: Predicate) -> bool:
    """The same verb under both words, with an object in common when both verbs have objects."""
    if a.action is None or b.action is None or a.action[0] != b.action[0]:
        return False
    return not (a.action[1] and b.action[1]) or bool(a.action[1] & b.action[1])


def opposed(
    facts: Facts, others: list[Facts], farther: list[Facts] = ()
) -> list[tuple[Predicate, Predicate]]:
    """(word, its opposite) where ``others`` say of the same subject or object, with the same polarity,
    the opposite of a word of ``facts`` and never the word itself ("rejected the plan" / "approved the
    plan"), as a verb, adjective or role: "the common enemy" they fight is no "enemy" role. A word both
    sides use ("private as well as public") is no opposite. In ``farther`` sentences
    (evidence the caller finds less alike) the opposite counts only where both words govern the same
    action, in a sentence without the claim's word: "refused to hold elections" / "is ready to hold
    snap elections", which sentence embeddings set far apart because the two words differ."""
    # Verbs count with any subject ("it approved"); adjectives and roles only as predicates.
    their_words = {p.lemma for f in others for p in f.predicates}.union(*(f.verbs for f in others))
    pairs = []
    for said in facts.predicates:
        near = [] if said.lemma in their_words else [p for f in others for p in f.predicates]
        far = [
            p for f in farther if said.lemma not in f.lemmas for p in f.predicates if _same_action(said, p)
        ]
        opposite = next(
            (
                p
                for p in (*near, *far)
                if p.lemma in opposites()[said.lemma]
                and p.lemma not in facts.lemmas
                and p.negated == said.negated
                and p.arguments & said.arguments
                # Roles of differently named holders are no opposites: one's ally may be another's enemy.
                and not (p.holders and said.holders and not p.holders & said.holders)
            ),
            None,
        )
        if opposite is not None:
            pairs.append((said, opposite))
    return pairs


def _content_lemmas(tokens) -> set[str]:
    return {t.lemma_.lower() for t in tokens if (t.is_alpha or t.like_num) and not t.is_stop}


def facts_of(doc, known: Titles | None = None) -> Facts:
    """What ``doc`` asserts; ``known`` titles (see titles()) let a title stand for the person it names."""
    return Facts(
        lemmas=_content_lemmas(doc),
        terms=tuple(w for t in doc for w in WORD.findall(t.lemma_.lower()) if w not in STOP_WORDS),
        quantities=quantities(doc),
        dates=dates(doc),
        names=[
            e.text.lower().removesuffix("'s").removesuffix("’s") for e in doc.ents if e.label_ in NAME_TYPES
        ],
        roles=roles(doc),
        verbs={t.lemma_.lower() for t in doc if t.pos_ == "VERB"},
        predicates=predicates(doc, known),
    )


def same_word(a: str, b: str) -> bool:
    """Equal, or one a prefix of the other (Russia/Russian, Syria/Syrian), for names."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 4 and long_.startswith(short) and len(long_) - len(short) <= 3


def name_in(name: str, words: set[str]) -> bool:
    """Whether every word of a name appears (demonym-tolerant) among ``words``."""
    parts = [p for p in re.findall(r"\w+", name) if len(p) > 1 and p not in {"the", "of"}]
    return all(any(same_word(p, w) for w in words) for p in parts)


def same_value(a: float, b: float) -> bool:
    return abs(a - b) <= 0.01 * max(abs(a), abs(b), 1e-9)


@lru_cache(maxsize=256)  # every source of a large check, and its claims
def _parsed(texts: tuple[str, ...]) -> tuple[Facts, ...]:
    docs = list(models.get_nlp().pipe(texts, batch_size=64))
    known = titles(docs)  # a source's sentences, or a summary's claims, name people for one another
    return tuple(facts_of(doc, known) for doc in docs)


def facts_for(texts: list[str]) -> list[Facts]:
    """Facts of many sentences in one spaCy pass; a source's sentences are parsed once per process."""
    return list(_parsed(tuple(texts)))


_DOTTED = re.compile(r"\b(?:\w\.){2,}")  # "U.S.", "U.N.": also one word, as a claim may write it ("US")


def all_words(texts: list[str]) -> set[str]:
    words = {w for text in texts for w in re.findall(r"\w+", text.lower())}
    return words | {d.replace(".", "") for text in texts for d in _DOTTED.findall(text.lower())}
