"""Third-person paraphrase from the parse, theme labels by salience, trimmed quotes (show notes)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from podpipe.domain import ParsedSentence, Quote, Segment, Theme, Token, Transcript
from podpipe.stages.notes.clauses import has_personal, third_singular, transform
from podpipe.stages.notes.labels import closing_round, shared_thread, theme_concepts
from podpipe.stages.notes.quotes import trim_quote, verbatim_quotes
from tests import shownotes_fixtures as fx

NAMES = {"Ellen", "Bram", "Walter"}


@pytest.fixture(scope="module")
def parse():
    from podpipe.config import Nlp
    from podpipe.models.nlp import has_parse, load_nlp

    nlp = load_nlp(Nlp())
    if not has_parse(nlp):
        pytest.skip("podpipe's Dutch pipeline is not installed")

    def run(text: str, theme: int | None = None, speaker: str = "S2") -> ParsedSentence:
        doc = nlp(text)
        tokens = [
            Token(t.text, t.lemma_, t.pos_, str(t.morph), t.dep_, t.head.i, bool(t.whitespace_)) for t in doc
        ]
        return ParsedSentence(speaker=speaker, start=0.0, end=1.0, text=text, tokens=tokens, theme=theme)

    return run


def clause(parse, text: str):
    return transform(parse(text), "Ellen", {"euh"}, NAMES, NAMES)


def test_first_person_becomes_the_speaker_with_the_verb_agreeing(parse) -> None:
    result = clause(parse, "Ik heb organisaties gezien met de mooiste dashboards.")
    assert result is not None and result.self_subject
    assert result.main.startswith("Ellen heeft organisaties gezien")
    assert not has_personal(result.main)


def test_generic_ge_becomes_men(parse) -> None:
    result = clause(parse, "Ge moet niet meteen een heel platform kopen.")
    assert result is not None
    assert result.main == "Men moet niet meteen een heel platform kopen."
    assert result.sub == "men niet meteen een heel platform moet kopen."


def test_subordinate_order_after_dat(parse) -> None:
    result = clause(parse, "De meeste organisaties zitten op een berg data.")
    assert result is not None
    assert result.inverted == "zitten de meeste organisaties op een berg data."
    assert result.sub == "de meeste organisaties op een berg data zitten."


def test_a_fronted_word_that_is_also_part_of_a_name_is_lowered_when_moved(parse) -> None:
    # "Van" is capitalised inside a guest's name ("Koen Van Damme"), not at the head of a phrase
    result = transform(parse("Van de werknemers volgt de helft een opleiding."), "Ellen", set(), NAMES,
                       NAMES | {"Van"})
    assert result is not None and result.sub == "de helft van de werknemers een opleiding volgt."


@pytest.mark.parametrize(
    "text",
    [
        "Wat meet ge dan wel?",  # a question is no view
        "Mijn team moet een opleiding volgen.",  # his or her team? unknown
        "Kies één doelgroep.",  # no subject
        "Omdat de mensen daar zitten.",  # a subordinate clause alone
        "Dat ligt daar allemaal klaar.",  # leans on the sentence before
        "Bram, gij zegt altijd dat leren daar thuishoort.",  # addressed to Bram: not a generic "ge"
        # the parse takes "die" for a relative pronoun and subject: "dat die in die periode persoon ..."
        "En in die periode hoorde die persoon niets van ons.",
    ],
)
def test_unsafe_sentences_are_refused(parse, text: str) -> None:
    assert clause(parse, text) is None


def test_third_singular() -> None:
    tok = Token("x", "x", "VERB", "Tense=Pres|VerbForm=Fin", "ROOT", 0)
    assert [third_singular(f, tok) for f in ("heb", "zijt", "ga", "vind", "kan", "moet", "werk")] == [
        "heeft", "is", "gaat", "vindt", "kan", "moet", "werkt",
    ]  # fmt: skip
    past = Token("had", "hebben", "AUX", "Tense=Past|VerbForm=Fin", "ROOT", 0)
    assert third_singular("had", past) == "had"


def test_labels_are_salient_within_the_theme_and_the_thread_runs_through(parse) -> None:
    theme_a = [
        "De chatbot geeft snel een antwoord aan mensen.",
        "Een goede chatbot verwijst naar de bron.",
        "Die chatbot kent de procedures van mensen.",
    ]
    theme_b = [
        "De data liggen al klaar voor mensen.",
        "Niemand kijkt naar de data van de dienst.",
        "Data zonder gesprek zeggen mensen weinig.",
    ]
    sentences = [parse(t, 0) for t in theme_a] + [parse(t, 1) for t in theme_b]
    themes = [Theme("", ["chatbot"], 0, 1), Theme("", ["data"], 1, 2)]
    concepts = theme_concepts(sentences, themes, blocked=set())
    assert concepts[0].labels[0] == "chatbot"
    assert concepts[1].labels[0] == "data"
    assert shared_thread(sentences, [0, 1], set(), frozenset()) == "mensen"


def test_the_thread_is_the_more_specific_of_two_that_run_through_and_never_an_everyday_word(parse) -> None:
    texts = [
        ["De leesclub kiest elke dag een boek.", "Elke dag lezen de leden samen."],
        ["De subsidie voor de leesclub loopt elke dag af.", "De gemeente geeft elke dag geld."],
    ]
    sentences = [parse(t, i) for i, pair in enumerate(texts) for t in pair]
    # "dag" is said more often, in both themes; "leesclub" runs through both too
    assert shared_thread(sentences, [0, 1], set(), frozenset()) == "de leesclub"  # as the text writes it
    days = [parse("Elke dag lezen de leden samen.", 0), parse("De gemeente geeft elke dag geld.", 1)]
    assert shared_thread(days, [0, 1], set(), frozenset()) is None


def test_the_concept_the_host_announces_leads_the_label(parse) -> None:
    before = ["De data liggen al klaar bij de dienst.", "Niemand kijkt naar de data van de dienst."]
    opening = ["Veel van dat leren gebeurt vandaag in Slack.", "Waarom eigenlijk?"]
    answers = [
        "De chatbot geeft snel een antwoord aan de klant.",
        "Een goede chatbot verwijst naar de bron.",
        "Die chatbot kent de procedures van de klant.",
    ]
    sentences = [parse(t, 0) for t in before] + [parse(t, 1, speaker="S1") for t in opening]
    sentences += [parse(t, 1) for t in answers]
    themes = [Theme("", ["data"], 0, 1), Theme("", ["chatbot", "Slack"], 1, 2)]
    # said once, by the host opening the theme, and picked by the keyphrases: the theme's topic
    assert theme_concepts(sentences, themes, set(), hosts={"S1"})[1].labels[:2] == ["Slack", "chatbot"]
    # not announced by the host (a guest said it): the recurring example wins, the single mention is out
    assert theme_concepts(sentences, themes, set(), hosts={"S9"})[1].labels == ["chatbot"]
    # heard before the theme: no announcement
    early = [parse("We gebruiken Slack voor de data.", 0), *sentences]
    assert theme_concepts(early, themes, set(), hosts={"S1"})[1].labels[0] == "chatbot"


def test_what_the_host_opens_with_leads_even_when_the_introduction_previewed_it(parse) -> None:
    intro = [parse("Vandaag hebben we het over Slack en over data.", None, speaker="S1")]
    before = ["De data liggen al klaar bij de dienst.", "Niemand kijkt naar de data van de dienst."]
    opening = ["Veel van dat leren gebeurt vandaag in Slack.", "Waarom eigenlijk?"]
    answers = ["De chatbot geeft snel een antwoord.", "Een goede chatbot verwijst naar de bron.",
               "Die chatbot kent de procedures."]  # fmt: skip
    sentences = intro + [parse(t, 0) for t in before] + [parse(t, 1, speaker="S1") for t in opening]
    sentences += [parse(t, 1) for t in answers]
    themes = [Theme("", ["data"], 0, 1), Theme("", ["chatbot", "Slack"], 1, 2)]
    assert theme_concepts(sentences, themes, set(), hosts={"S1"})[1].labels[0] == "Slack"


def test_a_topic_the_host_puts_before_the_sentence_leads(parse) -> None:
    """"Digitale geletterdheid, dat klinkt groot.": the host sets the topic by putting it first."""
    before = [parse("De bibliotheek leent boeken uit.", 0), parse("De bibliotheek is elke dag open.", 0)]
    opening = ["Anna, ik begin bij u.", "Digitale geletterdheid, dat klinkt groot.", "Wat bedoelen we daarmee?"]
    answers = ["Digitale geletterdheid is meer dan een computer kunnen aanzetten.",
               "Wie geen computer heeft, mist veel.", "Een computer in de wijk helpt.",
               "Digitale geletterdheid leer je in kleine stappen."]  # fmt: skip
    sentences = before + [parse(t, 1, speaker="S1") for t in opening] + [parse(t, 1) for t in answers]
    themes = [Theme("", ["bibliotheek"], 0, 1), Theme("", ["computer"], 1, 2)]
    assert theme_concepts(sentences, themes, set(), hosts={"S1"})[1].labels[0] == "digitale geletterdheid"


def test_the_hosts_opening_outranks_a_term_a_guest_names_later(parse) -> None:
    before = [parse("De bibliotheek leent boeken uit.", 0), parse("De bibliotheek is elke dag open.", 0)]
    opening = ["Bij jullie krijgt iedereen een leesbudget.", "Hoe werkt dat?"]
    answers = ["Het leesbudget is vijftig euro per jaar.", "Maar dan hebt ge het over begeleiding.",
               "Begeleiding kost tijd.", "Goede begeleiding helpt.", "Zonder begeleiding lukt het niet."]
    sentences = before + [parse(t, 1, speaker="S1") for t in opening] + [parse(t, 1) for t in answers]
    themes = [Theme("", ["bibliotheek"], 0, 1), Theme("", ["leesbudget", "begeleiding"], 1, 2)]
    assert theme_concepts(sentences, themes, set(), hosts={"S1"})[1].labels[0] == "leesbudget"


def test_a_cast_name_as_whisper_heard_it_labels_nothing(parse) -> None:
    before = [parse("De bibliotheek leent boeken uit.", 0), parse("De bibliotheek is elke dag open.", 0)]
    answers = ["Volgens Birk is het leesbudget te klein.", "Maar Birk zegt ook dat het leesbudget helpt.",
               "En Birk wil het leesbudget houden.", "Birk heeft gelijk."]  # fmt: skip
    sentences = before + [parse(t, 1) for t in answers]
    themes = [Theme("", ["bibliotheek"], 0, 1), Theme("", ["Birk", "leesbudget"], 1, 2)]
    assert "Birk" in theme_concepts(sentences, themes, set())[1].labels  # a name nobody knows: a concept
    # "Dirk" is in the cast: a capitalised word this like it is his name misheard
    assert theme_concepts(sentences, themes, {"Dirk", "Wouters"})[1].labels == ["leesbudget"]


def test_pronouns_are_no_concepts_even_as_nouns() -> None:
    # garbled ASR: the tagger takes the clitic "m'n" (mijn) for a noun, in a keyphrase too
    def sentence(theme: int) -> ParsedSentence:
        tokens = [Token("m'n", "m'n", "NOUN", "", "nsubj", 1), Token("markt", "markt", "NOUN", "", "ROOT", 1)]
        return ParsedSentence(speaker="S2", start=0.0, end=1.0, text="m'n markt", tokens=tokens, theme=theme)

    sentences = [sentence(0), sentence(0), sentence(0)]
    sentences.append(ParsedSentence("S2", 0.0, 1.0, "data", [Token("data", "data", "NOUN", "", "ROOT", 0)], theme=1))
    themes = [Theme("", ["m'n markt"], 0, 1), Theme("", ["data"], 1, 2)]
    labels = theme_concepts(sentences, themes, blocked=set())[0].labels
    assert labels == ["markt"]


def test_only_known_organisations_are_blocked_as_names() -> None:
    from podpipe.domain import Analysis, Mention, Speaker
    from podpipe.stages.notes.builder import _blocked

    analysis = Analysis(
        themes=[], quotes=[], people=[Mention("Walter Schroven", "PER", source="metadata")],
        organisations=[Mention("Kompaswerk", "ORG", source="metadata"), Mention("Slack", "ORG", source="proper-noun")],
    )  # fmt: skip
    ellen = Speaker(id="S2", name="Ellen Verhaegen", organisation="Leerkorrel")
    transcript = Transcript(episode=None, segments=[], language="nl", speakers=[ellen])  # type: ignore[arg-type]
    blocked = _blocked(transcript, analysis)
    assert {"Walter", "Schroven", "Kompaswerk", "Ellen", "Leerkorrel"} <= blocked
    assert "Slack" not in blocked


def test_a_last_theme_that_only_repeats_is_the_closing_round(parse) -> None:
    texts = [
        (0, "De chatbot geeft snel een antwoord."),
        (1, "De data liggen al klaar bij de dienst."),
        (2, "Een dashboard toont de cijfers van de ploeg."),
        (3, "De chatbot en de data en het dashboard helpen."),
    ]
    sentences = [parse(t, i) for i, t in texts]
    themes = [Theme("", [], i, i + 1) for i in range(4)]
    assert closing_round(sentences, themes) == 3
    assert closing_round(sentences[:3], themes[:3]) is None
    # from audio the round also holds words Whisper misheard, new wherever they fall: they do not count
    def heard(text: str) -> ParsedSentence:
        sentence = parse(text, 3)
        unsure = ("vlorpmank", "kwisp", "dorrel", "schelp")
        sentence.tokens = [replace(t, probability=0.3 if t.text in unsure else 1.0) for t in sentence.tokens]
        return sentence

    garbled = [*sentences[:3], heard("De chatbot en de vlorpmank en de schelp helpen."), heard("De kwisp dorrel.")]
    assert closing_round(garbled, themes) == 3


def test_long_quotes_are_trimmed_with_verbatim_parts() -> None:
    text = (
        "Data zonder gesprek is gewoon een dashboard dat niemand opent. "
        "Cijfers zijn het begin van het gesprek en niet het einde ervan."
    )
    transcript = fx.transcript()
    quote = Quote(speaker="SPEAKER_01", text=text, start=60.5, end=80.0, theme=1)
    trimmed = trim_quote(quote, max_words=12)
    assert trimmed.text == "Data zonder gesprek is gewoon een dashboard dat niemand opent. [...]"
    assert verbatim_quotes([trimmed], transcript) == [trimmed]
    forged = Quote(
        speaker="SPEAKER_01",
        text="Data zonder gesprek is niets. [...] Cijfers zijn het begin.",
        start=0,
        end=1,
    )
    assert verbatim_quotes([forged], transcript) == []
    assert trim_quote(quote, max_words=60) is quote


def test_quote_parts_out_of_order_are_not_verbatim() -> None:
    transcript = Transcript(
        episode=fx.transcript().episode,
        segments=[Segment(start=0, end=1, text="Eerst dit. Dan dat. En tot slot nog iets.", speaker="A")],
        language="nl",
    )
    good = Quote(speaker="A", text="Eerst dit. [...] En tot slot nog iets.", start=0, end=1)
    bad = Quote(speaker="A", text="En tot slot nog iets. [...] Eerst dit.", start=0, end=1)
    assert verbatim_quotes([good, bad], transcript) == [good]


def test_notes_use_the_analysis_parse_and_parse_older_analyses_alike(parse) -> None:
    from podpipe.config import Settings
    from podpipe.io import ANALYSIS
    from podpipe.stages.analyse.parsed import parse_transcript
    from podpipe.stages.notes import build_show_notes

    transcript, analysis = fx.transcript(), fx.analysis()
    sentences = parse_transcript(transcript, analysis.themes, Settings.model_construct().analysis_config())
    assert sentences[0].theme is None and {s.theme for s in sentences} == {None, 0, 1}  # welcome: no theme
    assert any("VerbForm=Fin" in t.morph for s in sentences for t in s.tokens)
    with_parse = ANALYSIS.from_dict(ANALYSIS.to_dict(analysis))
    with_parse.sentences = sentences
    assert ANALYSIS.from_dict(ANALYSIS.to_dict(with_parse)) == with_parse  # analysis.json keeps it
    assert build_show_notes(transcript, with_parse, Settings().notes_config()) == build_show_notes(
        transcript, analysis, Settings().notes_config()
    )
