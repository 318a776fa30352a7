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
    ("text", "expected"),
    [
        ("The Harbour Festival in Brenmoor opened on Friday.", {"harbour festival": {"brenmoor"}}),
        (
            "The Tessel Trade Fair in Ostrava and Brno was cancelled.",
            {"tessel trade fair": {"ostrava", "brno"}},
        ),
        ("Mayor Jonas Berg in Brenmoor said so.", {}),  # people move about: only events are placed
    ],
)
def test_places_of_named_events(nlp, text: str, expected: dict) -> None:
    assert F.places(nlp(text)) == expected


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


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("Putin did not elaborate on the opposition.", True),
        ("Nobody was killed.", True),
        ("No one died in the accident.", True),
        ("He never lies.", True),
        ("The plan wasn't approved.", True),
        ("The mayor approved the plan.", False),
        ("Putin said Assad is ready to hold elections.", False),
    ],
)
def test_negation(nlp, text: str, negated: bool) -> None:
    assert F.facts_of(nlp(text)).negated is negated


def test_subject_climbs_through_ready_to_hold(nlp) -> None:
    doc = nlp("Putin said Assad is ready to hold snap parliamentary elections.")
    hold = next(t for t in doc if t.lemma_ == "hold")
    assert F.subject_of(hold) == {"assad"}
    facts = F.facts_of(doc)
    assert facts.roles["hold"] == {"assad"}
    assert facts.objects["hold"] == {"snap", "parliamentary", "elections"}


def test_subject_of_a_pronoun_is_unknown(nlp) -> None:
    doc = nlp("He approved the plan.")
    approve = next(t for t in doc if t.lemma_ == "approve")
    assert F.subject_of(approve) is None


def test_swapped_actor_changes_roles(nlp) -> None:
    holm, lind = (F.facts_of(nlp(f"{who} approved the plan.")) for who in ("Anna Holm", "Peter Lind"))
    assert holm.roles == {"approve": {"anna", "holm"}}
    assert lind.roles == {"approve": {"peter", "lind"}}
    assert holm.objects == lind.objects == {"approve": {"plan"}}


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
    assert reduced.actions["approve"] == {("council", "plan")}


def test_actions_pair_who_does_it_with_whom_it_is_done_to(nlp) -> None:
    active = F.facts_of(nlp("The police arrested the protesters outside the embassy."))
    passive = F.facts_of(nlp("The protesters were arrested by the police outside the embassy."))
    assert active.actions == passive.actions == {"arrest": {("police", "protesters")}}
    turned = F.facts_of(nlp("The protesters arrested the police."))
    assert turned.actions == {"arrest": {("protesters", "police")}}
    # No doer (a passive without "by", a pronoun) or no target: nothing to turn round.
    assert F.facts_of(nlp("The protesters were arrested on Monday.")).actions == {}
    assert F.facts_of(nlp("They arrested the protesters.")).actions == {}
    assert F.facts_of(nlp("The police left early.")).actions == {}


def test_speakers_are_the_names_that_say_or_tell(nlp) -> None:
    assert F.facts_of(nlp("Putin told reporters that Assad is ready.")).speakers == {"putin"}
    assert F.facts_of(nlp("Anna Holm said the harbour will open in May.")).speakers == {"anna", "holm"}
    # A pronoun or a description is no name to compare; reporting verbs are not among the roles.
    assert F.facts_of(nlp("He said the harbour will open in May.")).speakers == set()
    assert F.facts_of(nlp("The spokesman said the harbour will open.")).speakers == set()
    assert "say" not in F.facts_of(nlp("Anna Holm said the harbour will open.")).roles


def test_polarity_keeps_every_use_of_a_verb(nlp) -> None:
    facts = F.facts_of(nlp("Anna Berg was last seen on Saturday and has not been seen since."))
    assert facts.polarity["see"] == {False, True}
    assert F.facts_of(nlp("The lighthouse was not damaged.")).polarity["damage"] == {True}
    # The copula of a "that" clause carries its "not", keyed with its complement.
    assert F.facts_of(nlp("The court found that he was not guilty.")).polarity["be guilty"] == {True}
    assert F.facts_of(nlp("Peter was certainly not the type to give up.")).polarity["be type"] == {True}
    # A verb leading another is keyed with it too: "not want to sell" and "want the port" are apart.
    facts = F.facts_of(nlp("The town does not want to sell the ferry, but it wants the new port."))
    assert facts.polarity["want sell"] == {True} and facts.polarity["want"] == {True, False}
    assert facts.polarity["sell"] == {False}


def test_a_verb_led_by_fail_or_refuse_is_negated(nlp) -> None:
    assert F.facts_of(nlp("The talks failed to yield a breakthrough.")).polarity["yield"] == {True}
    assert F.facts_of(nlp("The rebels refused to join the talks.")).polarity["join"] == {True}
    assert F.facts_of(nlp("The talks yielded a breakthrough.")).polarity["yield"] == {False}
    # "did not refuse to" says nothing of whether it was done.
    assert "join" not in F.facts_of(nlp("The rebels did not refuse to join the talks.")).polarity


def test_a_not_after_its_head_denies_what_follows_it(nlp) -> None:
    # The parser hangs "not" on "problem"; only "the solution" is denied.
    facts = F.facts_of(nlp("They say he is part of the problem, not the solution."))
    assert facts.negated_phrases == [{"solution"}]
    # A "not" before its head denies the head's phrase.
    facts = F.facts_of(nlp("People are fleeing not from the regime of the president."))
    assert facts.negated_phrases == [{"regime", "president"}]


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


def test_what_a_title_is_ready_to_do_is_told_of_its_person(nlp) -> None:
    texts = ["Syrian President Bashar al-Assad met them.", "The Syrian president is ready to hold talks."]
    (ready,) = F.facts_for(texts)[1].led_actions["ready"]
    assert ready.subjects == {"president", "assad"} and ready.verb == "hold"


def test_led_actions_are_what_someone_is_ready_or_wants_to_do(nlp) -> None:
    facts = F.facts_of(nlp("Putin said Assad is ready to hold snap elections and allow an opposition."))
    assert facts.led_actions == {
        "ready": {
            F.LedAction(frozenset({"assad"}), "hold", frozenset({"election"})),
            F.LedAction(frozenset({"assad"}), "allow", frozenset({"opposition"})),
        }
    }
    assert F.facts_of(nlp("The council wants to sell the ferry.")).led_actions == {
        "want": {F.LedAction(frozenset({"council"}), "sell", frozenset({"ferry"}))}
    }
    # No one to compare: a pronoun subject.
    assert F.facts_of(nlp("She is ready to step down.")).led_actions == {}


def test_places_where_a_named_speaker_said_it(nlp) -> None:
    places = F.places(nlp("Putin told reporters on the sidelines of the forum in Vladivostok on Friday."))
    assert places == {"putin speaking": {"vladivostok"}}
    assert F.places(nlp("Anna Holm said in Oslo that the port will open.")) == {"holm speaking": {"oslo"}}
    # What the words are about is no place of speaking; nor is a speaker a pronoun stands for.
    assert F.places(nlp("Anna Holm said in a statement on Syria that talks will go on.")) == {}
    assert F.places(nlp("She said in Oslo that the port will open.")) == {}


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


def test_lower_case_words_are_the_ones_written_in_lower_case() -> None:
    assert F.lower_case_words("Comedian Ben Elton met the comedian Izzard.") == {"met", "the", "comedian"}


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
    assert found[2].negated and not found[0].negated


def test_clauses_are_the_parts_a_shorter_claim_may_restate(nlp) -> None:
    sentence = (
        "The town council, which met on Tuesday evening, approved the budget for the new school that will "
        "open in 2027 and in which 600 pupils will be taught."
    )
    clauses = [c.text for c in F.facts_for([sentence])[0].clauses]
    # A relative clause is led by the noun it hangs on; the main clause loses the clauses under it.
    assert "The town council, which met on Tuesday evening" in clauses
    assert "The town council, approved the budget for the new school" in clauses
    assert "in which 600 pupils will be taught" in clauses
    assert sentence.rstrip(".") not in clauses  # the whole sentence is compared already
    assert all(len(c.split()) >= 4 for c in clauses)
    pupils = next(c for c in F.facts_for([sentence])[0].clauses if c.text.startswith("in which"))
    assert pupils.lemmas == {"600", "pupil", "teach"}


def test_a_short_sentence_has_no_clauses_of_its_own(nlp) -> None:
    assert F.facts_for(["The mayor approved the plan."])[0].clauses == ()


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


def test_verbs_done_by_someone_not_named(nlp) -> None:
    quote, named, described, none, qualified = F.facts_for(
        [
            '"We really want to create a coalition," Putin told journalists.',
            "Moscow wants the coalition to coordinate with the army.",
            "The town council approved the plan.",
            "To build the road would take years.",
            "The Russian president says his Syrian counterpart is ready to hold elections.",
        ]
    )
    assert quote.unnamed_actors.get("want") == set() and "want" not in quote.roles
    assert named.roles["want"] == {"moscow"} and "want" not in named.unnamed_actors
    assert described.unnamed_actors.get("approve") == set()
    assert "build" not in none.unnamed_actors  # no actor at all
    assert qualified.unnamed_actors.get("hold") == {"syrian"}  # a name qualifies the actor


def test_partners_are_the_names_an_action_is_done_to_or_with(nlp) -> None:
    shared, imposed, spoke, described, placed = F.facts_for(
        [
            "Assad is ready to share power with the Islamic State.",
            "The EU imposed sanctions on Russia and Iran.",
            "Putin spoke with Obama about Syria.",
            "Assad could share power with a healthy opposition.",
            "Putin met reporters in Vladivostok on Friday.",
        ]
    )
    assert shared.partners == {"share": [("islamic state",)]}
    assert imposed.partners == {"impose": [("russia", "iran")]}  # one party of conjuncts; not "sanctions"
    assert spoke.partners == {"speak": [("obama",)]}  # "about Syria" is what was said, not to whom
    assert described.partners == {}  # not a name
    assert placed.partners == {}  # places and times are left out
    assert {"share"} <= shared.verbs and "be" not in shared.verbs


def test_kinds_that_exclude_each_other_are_opposites() -> None:
    table = F.opposites()
    assert "parliamentary" in table["presidential"] and "presidential" in table["parliamentary"]
    assert "female" in table["male"]


def test_verbs_done_to_someone_a_pronoun_stands_for(nlp) -> None:
    there, him, named = F.facts_for(
        [
            "Although Lecque could have chosen to attend there, he made the commute to Scanlan.",
            "Putin met him in Moscow.",
            "Putin met Obama in Moscow.",
        ]
    )
    assert "attend" in there.unnamed_party_verbs
    assert "meet" in him.unnamed_party_verbs and "meet" not in named.unnamed_party_verbs


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
