"""Comparable facts: numbers in words and digits, units, dates, negation, roles and names."""

from __future__ import annotations

import pytest

from factaid import facts as F


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("a quarter of a million", 250_000),
        ("half a million", 500_000),
        ("four-and-a-half", 4.5),
        ("four and a half", 4.5),
        ("3.5 million", 3.5e6),
        ("250,000", 250_000),
        ("1,234.5", 1234.5),
        ("a million", 1e6),
        ("two hundred", 200),
        ("twenty five", 25),
        ("fourteen", 14),
        ("11", 11),
    ],
)
def test_parse_number(words: str, value: float) -> None:
    assert F.parse_number(words.replace("-", " ").split()) == pytest.approx(value)


@pytest.mark.parametrize("words", ["", "million", "the people", "and of"])
def test_parse_number_without_a_number(words: str) -> None:
    assert F.parse_number(words.split()) is None


def test_parse_number_multiplies_plural_fractions() -> None:
    assert F.parse_number(["three", "quarters"]) == pytest.approx(0.75)


@pytest.mark.parametrize("word", ["1.2.3", "192.168.0.1"])
def test_parse_number_survives_dotted_version_numbers(word: str) -> None:
    assert F.parse_number([word]) is None


def quantities(nlp, text: str) -> list[tuple[float, str, str]]:
    return [(q.value, q.unit, q.text) for q in F.quantities(nlp(text))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "A quarter of a million people have been killed.",
            [(250_000, "people", "A quarter of a million")],
        ),
        ("Half a million people were killed.", [(500_000, "people", "Half a million")]),
        ("The war has raged for four-and-a-half years.", [(4.5, "year", "four-and-a-half")]),
        ("Growth slowed to 3.5 percent.", [(3.5, "percent", "3.5")]),
        ("The train was moving at 40 kilometres per hour.", [(40, "kilometre", "40")]),
        ("14 of its wagons fell into the river.", [(14, "wagon", "14")]),
        ("He won 250,000 votes.", [(250_000, "vote", "250,000")]),
        ("Two hundred and fifty people came.", [(250, "people", "Two hundred and fifty")]),
        # ranges and lists are two numbers, not their sum
        ("Between 200 and 300 people died.", [(200, "people", "200"), (300, "people", "300")]),
        ("Prices rose 3-4 percent.", [(3, "percent", "3"), (4, "percent", "4")]),
        ("It cost $5 million and 20 jobs.", [(5e6, "job", "5 million"), (20, "job", "20")]),
        # "of" joins a fraction or a scale to a number, not a part to its whole
        ("Badminton is one of five sports to lose funding.", [(5, "sport", "five")]),
        ("Two of the three men were freed.", [(2, "", "Two"), (3, "man", "three")]),
        ("A quarter of a million people fled.", [(250_000, "people", "A quarter of a million")]),
    ],
)
def test_quantities_with_units(nlp, text: str, expected) -> None:
    assert quantities(nlp, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "In 2015, prices rose.",
        "On Sept. 4 he spoke.",
        "One of them left.",
        "A man arrived.",
        "Published 2017-11-07 20:21.",
        "The war lasted from 2010-2012.",
    ],
)
def test_years_dates_and_pronoun_one_are_not_quantities(nlp, text: str) -> None:
    assert quantities(nlp, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("In 2015, prices rose.", {"year:2015"}),
        ("On Sept. 4 he spoke.", {"month:9"}),
        ("He will step down in September 2016.", {"month:9", "year:2016"}),
        ("He spoke on Friday.", {"weekday:friday"}),
        ("He will resign next month.", {"rel:next month"}),
        ("He left yesterday.", {"rel:yesterday"}),
        ("The vote was held last week.", {"rel:last week"}),
        ("He may resign.", set()),
        ("Published 2017-11-07 20:21.", {"year:2017", "month:11"}),
    ],
)
def test_dates(nlp, text: str, expected: set[str]) -> None:
    assert F.dates(nlp(text)) == expected


@pytest.mark.parametrize(
    ("date", "text"),
    [
        ("month:9", "September"),
        ("weekday:friday", "Friday"),
        ("year:2015", "2015"),
        ("rel:next week", "next week"),
    ],
)
def test_date_text_reads_as_written(date: str, text: str) -> None:
    assert F.date_text(date) == text


def test_swapped_actor_changes_roles(nlp) -> None:
    holm, lind = (F.facts_of(nlp(f"{who} approved the plan.")) for who in ("Anna Holm", "Peter Lind"))
    assert holm.roles == {"approve": {"anna", "holm"}}
    assert lind.roles == {"approve": {"peter", "lind"}}


def test_the_actor_of_a_passive_verb_is_its_agent(nlp) -> None:
    """ "Ann Lee will be presented with it by Tom Hardy": Tom Hardy presents, Ann Lee is presented."""
    passive = F.facts_of(nlp("Ann Lee will be presented with the award by Tom Hardy at the gala."))
    active = F.facts_of(nlp("Tom Hardy will present Ann Lee with the award at the gala."))
    assert passive.roles["present"] == active.roles["present"] == {"tom", "hardy"}
    assert "approve" not in F.facts_of(nlp("Anna Holm's plan was approved on Monday.")).roles


def test_a_participle_with_by_is_done_by_its_agent(nlp) -> None:
    """ "the rally attended by Eddie Izzard": Izzard attends, whatever the sentence's subject."""
    facts = F.facts_of(nlp("Ben Elton spoke at the rally, which was also attended by Eddie Izzard."))
    assert facts.roles["attend"] == {"eddie", "izzard"}
    reduced = F.facts_of(nlp("The plan approved by the council was shelved."))
    assert reduced.roles.get("approve", set()) <= {"council"}


def test_titles_let_a_title_stand_for_the_one_person_given_it(nlp) -> None:
    docs = list(
        nlp.pipe(
            [
                "Russian President Vladimir Putin met Syrian President Bashar al-Assad.",
                "Anna Holm, the harbour's new mayor, spoke first.",
            ]
        )
    )
    known = F.titles(docs)
    assert known == {
        "president": {"putin": {"russian"}, "assad": {"syrian"}},
        "mayor": {"holm": {"harbour", "new"}},
    }

    def person(text: str) -> str | None:
        subject = next(t for t in nlp(text) if t.dep_ == "nsubj")
        return F.described_person(subject, known)

    assert person("The Syrian president agrees.") == "assad"
    assert person("Syria's president agrees.") == "assad"  # "Syria" and "Syrian" are one word for names
    assert person("The mayor agrees.") == "holm"
    assert person("The president agrees.") is None  # two presidents: no one to pick
    assert person("The French president agrees.") is None
    assert person("The council agrees.") is None


def test_an_opposite_said_of_a_title_counts_for_its_person(nlp) -> None:
    texts = ["Syrian President Bashar al-Assad met the envoy.", "The Syrian president agrees with the plan."]
    evidence = F.facts_for(texts)[1]
    claim = F.facts_for(["Assad disagrees with the plan."])[0]
    (pair,) = F.opposed(claim, [evidence])
    assert (pair[0].lemma, pair[1].lemma) == ("disagree", "agree")
    assert pair[1].arguments == {"president", "assad"}
    # Parsed alone, the sentence does not say who the president is.
    assert F.opposed(claim, [F.facts_of(nlp(texts[1]))]) == []


def test_opposites_are_read_both_ways_from_the_package_file() -> None:
    table = F.opposites()
    assert {"reject", "refuse"} <= table["approve"] and "approve" in table["reject"]
    assert "fall" in table["rise"] and "rise" in table["fall"]
    assert all(word not in others for word, others in table.items())


def test_predicates_carry_what_they_are_said_of(nlp) -> None:
    (rejected,) = F.facts_of(nlp("The city council rejected the harbour plan.")).predicates
    assert rejected == F.Predicate("reject", False, frozenset({"council", "plan"}))
    (rose,) = F.facts_of(nlp("Prices rose sharply last year.")).predicates
    assert rose == F.Predicate("rise", False, frozenset({"price"}))
    (high,) = F.facts_of(nlp("The bank reported high losses.")).predicates
    assert high == F.Predicate("high", False, frozenset({"loss"}))
    assert F.facts_of(nlp("The mayor did not approve the offer.")).predicates[0].negated
    # A pronoun says nothing comparable; a word without opposites is not a predicate.
    assert F.facts_of(nlp("She approved it.")).predicates == []
    assert F.facts_of(nlp("The council discussed the plan.")).predicates == []


def test_only_named_actors_have_roles(nlp) -> None:
    """Common-noun subjects differ between faithful paraphrases ("the body" / "the council")."""
    assert F.facts_of(nlp("The council approved the plan.")).roles == {}


def test_names_are_entities_lower_cased_without_possessive(nlp) -> None:
    names = F.facts_of(nlp("Syria’s Bashar al-Assad met Vladimir Putin in Vladivostok.")).names
    assert "bashar al-assad" in names
    assert "vladimir putin" in names
    assert "vladivostok" in names
    assert not any(n.endswith("’s") or n.endswith("'s") for n in names)


@pytest.mark.parametrize(
    ("name", "words", "found"),
    [
        ("syria", {"syrian", "president"}, True),
        ("russia", {"russian"}, True),
        ("bashar al-assad", {"bashar", "al", "assad"}, True),
        ("the united states", {"united", "states"}, True),
        ("obama", {"putin", "assad"}, False),
        ("iran", {"iraq"}, False),
        ("bashar al-assad", {"assad"}, False),
    ],
)
def test_name_in_tolerates_demonyms(name: str, words: set[str], found: bool) -> None:
    assert F.name_in(name, words) is found


def test_same_value_is_relative() -> None:
    assert F.same_value(250_000, 250_000.0)
    assert F.same_value(1000, 1005)
    assert not F.same_value(250_000, 500_000)
    assert not F.same_value(14, 11)


def test_facts_for_parses_a_batch_in_order(nlp) -> None:
    texts = ["14 of its wagons fell.", "11 of its wagons fell.", "Nobody was killed."]
    found = F.facts_for(texts)
    assert [f.quantities[0].value for f in found[:2]] == [14, 11]
    assert found[2].quantities == [] and found[0].lemmas != found[2].lemmas


def test_dotted_abbreviations_are_also_one_word() -> None:
    words = F.all_words(["Moscow wants the U.S.-led coalition and the U.N. to act."])
    assert {"us", "un", "u", "s", "moscow"} <= words
    assert F.name_in("us", words) and F.name_in("u.s.", words) and F.name_in("un", words)
    assert not F.name_in("uk", words)


def test_an_opposite_in_a_farther_sentence_counts_only_for_the_same_action(nlp) -> None:
    claim, ready, other_object, other_verb = F.facts_for(
        [
            "Assad refused to hold early elections.",
            "Putin said Assad is ready to hold snap parliamentary elections.",
            "Assad is ready to hold talks.",
            "Assad is ready to win the elections.",
        ]
    )
    (refuse,) = [p for p in claim.predicates if p.lemma == "refuse"]
    assert refuse.action == ("hold", frozenset({"election"}))
    assert [(a.lemma, b.lemma) for a, b in F.opposed(claim, [], farther=[ready])] == [("refuse", "ready")]
    assert F.opposed(claim, [], farther=[other_object, other_verb]) == []


def test_kinds_that_exclude_each_other_are_opposites() -> None:
    table = F.opposites()
    assert "parliamentary" in table["presidential"] and "presidential" in table["parliamentary"]
    assert "female" in table["male"]


def test_a_role_is_said_of_its_subject_and_holder(nlp) -> None:
    ally, enemy, described = F.facts_for(
        [
            "Russia has been Assad's key ally in the war.",
            "Iran is not an enemy of Russia.",
            "Russia has been a close ally of the Syrian government.",
        ]
    )
    assert (
        F.Predicate("ally", False, frozenset({"russia", "assad"}), None, frozenset({"assad"}))
        in ally.predicates
    )
    assert (
        F.Predicate("enemy", True, frozenset({"iran", "russia"}), None, frozenset({"russia"}))
        in enemy.predicates
    )
    # A described holder may be a named one in other words: it is an argument, not a holder.
    (role,) = [p for p in described.predicates if p.lemma == "ally"]
    assert role.arguments == {"russia", "government"} and role.holders == frozenset()
