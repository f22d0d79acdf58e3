"""What each theme is about: concept labels by salience, the shared thread, and the closing round.

A label is the concept the speakers keep returning to *within* a theme and rarely outside it: a noun
lemma (or one of the analysis' multi-word keyphrases) scored by its count in the theme times the log
ratio of its rate in the theme to its rate in the rest of the episode. Raw frequency would crown the
words of the whole conversation ("leren", "mensen"); those become the shared thread instead. A concept
the host names when opening the theme, not discussed in an earlier theme (the introduction only
previews) and picked by the keyphrases, leads the label even when said once: the host announces the
topic, the guests then give its examples.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from podpipe.domain import ParsedSentence, Theme, Token
from podpipe.stages.analyse.lexicon import (
    CONJUNCTIONS,
    KNOWN,
    PREPOSITIONS,
    is_dutch,
    is_dutch_word,
    specificity,
    split_compound,
    zipf,
)
from podpipe.stages.analyse.segmentation import CLOSING_CUE
from podpipe.stages.notes.clauses import PERSONAL, has_personal
from podpipe.stages.notes.variants import heard_variants, regroup

log = logging.getLogger(__name__)

SPECIFICITY_POWER = 1.0

# Noun-like tokens: nouns, names, and infinitives used as nouns ("meten", "microleren" as a subject).
_NOMINAL_POS = frozenset(["NOUN", "PROPN"])
_NOMINAL_DEPS = frozenset(["nsubj", "nsubj:pass", "obj", "obl", "nmod", "conj", "appos"])


@dataclass(slots=True)
class ThemeConcepts:
    labels: list[str]  # best first, lemmatised, cased as in the text (for headings)
    salience: dict[str, float] = field(default_factory=dict)  # lemma key -> salience in the theme
    phrases: list[str] = field(default_factory=list)  # the labels as running text has them ("de chatbot")
    # lemma key -> weight of every Dutch concept more frequent in the theme than around it, said once
    # or heard unsure included: what the theme's sentences are weighed by (:mod:`.paraphrase`). A
    # theme's concrete things are often said once ("een checklist"); with the labels' salience alone
    # a sentence naming one weighed nothing. Measured on ep12, ep14 and ep15, text in: labelled quotes
    # recovered 16 -> 17 of 24, the rest unchanged; from audio unchanged (its sentences are filtered by
    # how well they were heard first).
    topic: dict[str, float] = field(default_factory=dict)


def _is_nominal(token: Token) -> bool:
    # a pronoun is no concept, also where the tagger takes a clitic for a noun ("m'n", "z'n" in
    # garbled ASR) or the morphology says so
    word = token.text.casefold()
    if word in _PRONOUNS or word in PERSONAL or word in _CLITICS or "PronType=" in token.morph:
        return False
    if not any(c.isalpha() for c in token.text):
        return False
    if token.pos in _NOMINAL_POS:
        return True
    if token.pos == "VERB" and "VerbForm=Inf" in token.morph and token.dep in _NOMINAL_DEPS:
        return True
    # the tagger calls a rare noun an adjective ("een goede chatbot"); as a subject or object it is a noun
    return token.pos in ("ADJ", "X") and token.dep in ("nsubj", "nsubj:pass", "obj")


# Closed-class pronouns the tagger sometimes takes for nouns in Flemish speech ("ge", "gij", "jullie").
_CLITICS = frozenset(["z'n", "d'r", "'t", "'k", "'n", "m'n", "m'ne", "z'ne"])
_PRONOUNS = frozenset(["ge", "gij", "jullie", "u", "men", "iemand", "niemand", "iedereen", "ik", "we", "wij"])


def concept_key(token: Token) -> str:
    """The token's lemma where it is a plain inflection of the word (plural -s/-en, -'s), else the word.

    The trained lemmatiser guesses on rare words ("microleren" -> "microleur"); a lemma that is not the
    word minus an inflectional ending is not trusted.
    """
    text = token.text.casefold()
    lemma = (token.lemma or token.text).casefold()
    if lemma == text:
        return text
    stem = re.sub(r"(aa|ee|oo|uu)([^aeiou]+)$", lambda m: m.group(1)[0] + m.group(2), lemma)
    for base in (lemma, stem):
        if text.startswith(base) and text[len(base) :] in ("s", "en", "n", "'s", "ën"):
            return lemma
    return text


def _surface(sentences: list[ParsedSentence]) -> dict[str, str]:
    """How each concept is written: its key in lower case, unless the text capitalises it inside a
    sentence ("AI", "Slack", "L&D"); a capital that only opens a sentence does not count, one past the
    first letter does ("AI-geletterdheid, dat klinkt ..." is written so anywhere)."""
    capitals: Counter[tuple[str, str]] = Counter()
    lower: Counter[str] = Counter()
    for sentence in sentences:
        for position, token in enumerate(sentence.tokens):
            if not _is_nominal(token):
                continue
            key = concept_key(token)
            if (position > 0 and token.text != token.text.lower()) or token.text[1:] != token.text[1:].lower():
                # the lemma in the text's own letters where it is its start ("VR-bril" of "VR-brillen")
                form = token.text[: len(key)] if token.text.casefold().startswith(key) else key.capitalize()
                capitals[(key, form)] += 1
            elif token.text == token.text.lower():
                lower[key] += 1
    result: dict[str, str] = {}
    for (key, form), count in capitals.most_common():
        if key not in result and count >= lower[key]:
            result[key] = form
    return result


NAME_LIKENESS = 0.7  # normalised edit similarity of a capitalised word to a cast name: the name misheard


def _noun_form(key: str) -> str:
    """The noun as a heading writes it: the lemmatiser gives an adjective used as a noun its adjective's
    form ("leidinggevenden" -> "leidinggevend", "verpleegkundig"), which no heading may show; where
    general Dutch says the form with -e is the more common word, that is the noun."""
    return key + "e" if zipf(key + "e") > zipf(key) else key


def _like_a_name(key: str, names: set[str]) -> bool:
    return any(len(name) >= 3 and Levenshtein.normalized_similarity(key, name) >= NAME_LIKENESS for name in names)


def _same_concept(a: str, b: str) -> bool:
    """ "sheet" and "happy sheet", "medewerker" and "nieuwe medewerkers", "gesprek" and
    "evaluatiegesprek" (the compound's head): one concept."""
    head_a, head_b = a.split()[-1], b.split()[-1]
    if head_a.startswith(head_b) or head_b.startswith(head_a):
        return True
    shorter, longer = sorted((head_a, head_b), key=len)
    return len(shorter) >= 4 and longer.endswith(shorter)


def _words(keyphrases: list[str], tokens: list[Token]) -> list[Token]:
    """The tokens whose text is a word of a keyphrase, so keyphrase words get the tokens' lemmas."""
    wanted = {w.casefold() for p in keyphrases for w in p.split()}
    return [t for t in tokens if t.text.casefold() in wanted]


def _sub_phrases(keyphrases: list[str]) -> list[str]:
    """Multi-word keyphrases and their last two words ("beroemde happy sheet" -> "happy sheet")."""
    phrases: list[str] = []
    for phrase in keyphrases:
        words = phrase.casefold().split()
        for size in range(len(words), 1, -1):
            part = " ".join(words[-size:])
            if part not in phrases:
                phrases.append(part)
    return phrases


def _phrase_counts(sentences: list[ParsedSentence], phrases: list[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for sentence in sentences:
        text = f" {' '.join(t.text.casefold() for t in sentence.tokens)} "
        for phrase in phrases:
            counts[phrase.casefold()] += text.count(f" {phrase.casefold()} ")
    return counts


def topical_words(keyphrases: list[str], nominal: list[Token]) -> set[str]:
    """The concept keys of the keyphrases' words (their lemmas where the text has the word)."""
    words = {w.casefold() for p in keyphrases for w in p.split()}
    return words | {concept_key(t) for t in _words(keyphrases, nominal)}


def _announced(
    sentences: list[ParsedSentence], members: list[ParsedSentence], hosts: set[str] | frozenset[str]
) -> set[str]:
    """The concepts the host brings up in the turn that opens the theme, new to the episode there.

    A host moves the conversation on by naming the next topic ("veel van dat leren gebeurt in Teams
    of in Slack. Waarom?"); the guests then talk around it in their own words, so the topic itself may
    be said only once while the examples recur. Only the host's opening sentences count (up to the
    first sentence of someone else), and only concepts not discussed before the theme: a word from an
    earlier theme is no announcement, one the introduction previewed still is.
    """
    if not members or members[0].speaker not in hosts:
        return set()
    opening = []
    for sentence in members:
        if sentence.speaker not in hosts:
            break
        opening.append(sentence)
    before: set[str] = set()
    for sentence in sentences:
        if sentence is members[0]:
            break
        if sentence.theme is not None:  # the introduction previews the themes: no earlier discussion
            before.update(concept_key(t) for t in sentence.tokens if _is_nominal(t))
    keys = {concept_key(t) for s in opening for t in s.tokens if _is_nominal(t)}
    return keys - before


def theme_concepts(
    sentences: list[ParsedSentence],
    themes: list[Theme],
    blocked: set[str],
    stop_words: set[str] | frozenset[str] = frozenset(),
    hosts: set[str] | frozenset[str] = frozenset(),
    top: int = 3,
    min_probability: float = 0.6,
) -> list[ThemeConcepts]:
    """Labels of every theme (best first) from the parsed sentences, names (``blocked``) excluded.

    A concept's score is its salience in the theme (count x log of its rate in the theme over its rate
    in the rest of the episode) times its specificity against general Dutch (:mod:`..analyse.lexicon`),
    doubled where the host opens the theme with it or a speaker names it as a term. Measured on ep12,
    ep14 and ep15 together (text in): salience alone labelled 5 of 14 themes, frequent words winning
    ("januari", "gesprek", "werk"); with specificity 6, with the host's opening and named terms 9.
    Labels are Dutch words (or compounds of them) that Whisper heard with ``min_probability`` on average;
    the spellings one concept was heard in count as that concept, as sure as all its hearings
    (:mod:`.variants`: on the MBROLA renderings of the three episodes 2 -> 4 of 14 headings from audio).
    """
    by_theme: list[list[ParsedSentence]] = [[] for _ in themes]
    for sentence in sentences:
        if sentence.theme is not None and 0 <= sentence.theme < len(themes):
            by_theme[sentence.theme].append(sentence)
    nominal = [t for s in sentences for t in s.tokens if _is_nominal(t)]
    surface = _surface(sentences)
    blocked_keys = {b.casefold() for b in blocked}
    # "the rest of the episode" is its other themes: the introduction previews them ("vandaag over
    # zelfgestuurd leren en het leerbudget"), and its mentions would count against the very concepts
    # it announces
    discussed = [s for s in sentences if s.theme is not None]
    total = Counter(concept_key(t) for s in discussed for t in s.tokens if _is_nominal(t))
    size = max(sum(total.values()), 1)
    confident = _confident(sentences, min_probability)
    joined = {id(s): _joined_compounds(s) for s in sentences}
    for sentence in discussed:
        for _, _, key in joined[id(sentence)]:
            total[key] += 1
    confident.update(_joined_confidence(sentences, joined, min_probability))
    variants = heard_variants(
        sentences,
        {id(t): concept_key(t) for s in sentences for t in s.tokens},
        {id(t): _is_nominal(t) for s in sentences for t in s.tokens},
        {key for found in joined.values() for _, _, key in found},
    )
    total = regroup(total, variants, sentences)
    # a concept heard several ways is as sure as its hearings together (:mod:`.variants`)
    for group, sure in variants.confidence.items():
        floor = min_probability if zipf(group) >= KNOWN else max(min_probability, UNLISTED_PROBABILITY)
        if sure >= floor:
            confident[group] = max(confident.get(group, 0.0), sure)
    result = []
    for theme, members in zip(themes, by_theme, strict=True):
        inside = Counter(concept_key(t) for s in members for t in s.tokens if _is_nominal(t))
        for sentence in members:  # "evaluatie gesprek" as heard: one mention of "evaluatiegesprek"
            for _, head, key in joined[id(sentence)]:
                inside[key] += 1
                inside[head] = max(inside[head] - 1, 0)
        inside = regroup(inside, variants, members)
        phrases = _sub_phrases(theme.keyphrases)
        opening = _opening(members, hosts)
        # a single named word must be a noun somewhere and well heard; a named phrase Dutch words
        asked_phrases = _asked_phrases(opening, members)
        named = {t for t in _named_terms(members, phrases) | _dislocated(opening) | asked_phrases
                 if ((" " in t and is_dutch(t)) or confident.get(t, 0.0) > 0)
                 and not any(w in blocked_keys for w in t.split())}  # fmt: skip
        # the concepts the host opens the theme with, and the terms a speaker names as such
        # ("de term werkbaar werk", "het woord feedbackmoment", "het over psychologische veiligheid")
        pointed = {concept_key(t) for s in opening for t in s.tokens if _is_nominal(t)} - _CUE_NOUNS | named
        pointed |= {p for p in phrases if any(f" {p} " in f" {_lower_text(s)} " for s in opening)}
        topical = {p.casefold() for p in theme.keyphrases} | set(phrases) | pointed
        topical |= {w.casefold() for p in theme.keyphrases for w in p.split()}
        topical |= {k for k in map(concept_key, _words(theme.keyphrases, nominal))}
        # a joined compound is on topic where its parts are ("evaluatie" + "gesprek" in the host's question)
        topical |= {k for s in members for m, h, k in joined[id(s)] if m in topical or h in topical}
        topical |= {  # the host's questions set the topic
            concept_key(t)
            for s in members
            if s.speaker in hosts and s.text.rstrip().endswith("?")
            for t in s.tokens
            if _is_nominal(t)
        }
        topical |= {variants.of(k) for k in topical}
        pointed |= {variants.of(k) for k in pointed}
        announced = {variants.of(k) for k in _announced(sentences, members, hosts)}
        # the keyphrases vouch for an announced concept, and so does the host's opening question
        # ("Nathalie, een mentorprogramma bij jullie: hoe ziet dat eruit?")
        asked = {k for s in opening if s.text.rstrip().endswith("?") for k in map(concept_key, _determined(s))
                 if _asked_concept(k)}
        announced &= {variants.of(k) for k in topical_words(theme.keyphrases, nominal) | asked}
        # the host's opening outranks a term a speaker names later ("dan hebt ge het over begeleiding",
        # said against the theme's "individueel leerbudget" that the host opened with)
        by_host = announced | (named & (_named_terms(opening, phrases) | _dislocated(opening) | asked_phrases))
        announced |= named
        inside.update({k: v for k, v in _phrase_counts(members, phrases).items() if v})
        for term, said in _phrase_counts(members, sorted(named)).items():
            inside[term] = max(inside[term], said)
        _merge_hyphenated(inside)
        # an occurrence of a named or opening phrase ("werkbaar werk") is one of that concept, not of
        # its head word ("werk"), which would otherwise outweigh it with every other "werk" besides
        for phrase in {p for p in pointed if " " in p}:
            head = phrase.split()[-1]
            if head in inside and inside[phrase]:
                inside[head] = max(inside[head] - inside[phrase], 0)
        phrase_total = _phrase_counts(discussed, sorted({*phrases, *named}))  # each phrase counted once
        n_in = max(sum(1 for s in members for t in s.tokens if _is_nominal(t)), 1)
        n_out = max(size - n_in, 1)
        scores: dict[str, float] = {}
        topic: dict[str, float] = {}
        for key, count in inside.items():
            if key in blocked_keys or key in stop_words or len(key) < 2 or key in CALENDAR:
                continue
            if any(part in blocked_keys or part in PERSONAL or part in _CLITICS for part in key.split()):
                continue
            rest = (phrase_total[key] if " " in key or key in named else total[key]) - count
            ratio = ((count + 0.5) / n_in) / ((max(rest, 0) + 0.5) / n_out)
            if ratio > 1.0 and is_dutch(key) and not is_outro(key):
                weight = specificity(key) ** SPECIFICITY_POWER * (POINTED if key in pointed else 1.0)
                topic[key] = count * math.log(ratio) * weight
            if count < 2 and key not in announced:
                continue
            if surface.get(key, key)[:1].isupper() and _like_a_name(key, blocked_keys):
                continue  # "Birk": a name of the cast as Whisper heard it ("Dirk"), capitalised as names are
            heard = confident.get(key, 1.0)
            if not is_dutch(key) or not heard or (count < 2 and heard < UNLISTED_PROBABILITY):
                continue  # a non-word or a word Whisper was unsure of is most often a mishearing
            if is_outro(key):
                continue  # "volgende aflevering", "luisteraars": the outro, not what the theme is about
            if key in topic:
                scores[key] = topic[key]
        # What the keyphrase stage and the host's questions point at is what the theme is about;
        # other nouns only label a theme where those give nothing.
        on_topic = [k for k in scores if k in topical] or list(scores)
        ranked = _rank(on_topic, scores, announced, {k for k, v in inside.items() if v >= 2}, by_host)
        labels: list[str] = []
        for key in ranked:  # a phrase and its own head word name one concept: keep the better one
            if any(_same_concept(key, other) or key in other.split() for other in labels):
                continue
            # a word and a phrase or compound on it ("medewerker", "nieuwe medewerkers"; "werk",
            # "werkbaarwerk"): the longer is the more specific name when it carries at least half the
            # word's weight
            phrase = next(
                (
                    p
                    for p in scores
                    if (" " in p or (p.endswith(key) and len(p) > len(key)))
                    and _same_concept(p, key)
                    and scores[p] >= scores[key] / 2
                ),
                key,
            )
            labels.append(_modified(members, phrase) if phrase == key else phrase)
            if len(labels) >= top:
                break
        # a noun with its adjective keeps the noun's own letters ("generatieve AI")
        written = [" ".join([*k.split()[:-1], surface.get(k.split()[-1], _noun_form(k.split()[-1]))]) for k in labels]
        phrases = [_as_written(members, k, surface.get(k)) if " " not in k else k for k in labels]
        result.append(ThemeConcepts(labels=written, salience=scores, phrases=phrases, topic=topic))
    return result


# of a noun's mentions in the theme that carry the same adjective. Measured: the shared episodes' labels
# are unchanged by it (their modified concepts are keyphrases already: "psychologische veiligheid");
# on the held-out ep16 "werkdag" became "eerste werkdag", the concept its first theme is about.
MODIFIED_SHARE = 0.75


def _modified(members: list[ParsedSentence], key: str) -> str:
    """The noun with the adjective the speakers nearly always give it in the theme ("eerste werkdag",
    "nieuwe medewerker"): the concept is the modified noun, and the bare noun ("werkdag") names a
    broader one. A noun said once, or with varying adjectives ("goede", "grote"), stays bare. A noun
    nearly always said inside one term of three words ("community of practice") is that term."""
    if " " in key:
        return key
    seen = 0
    modifiers: Counter[str] = Counter()
    frames: Counter[str] = Counter()
    for sentence in members:
        tokens = sentence.tokens
        for i, token in enumerate(tokens):
            if not _is_nominal(token) or concept_key(token) != key:
                continue
            seen += 1
            before = tokens[i - 1] if i > 0 else None
            # "eerste" is an ordinal: the parse tags it ADJ or NUM, as amod or nummod
            if (before is not None and before.pos in ("ADJ", "NUM") and before.dep in ("amod", "nummod")
                    and before.text.isalpha()):  # fmt: skip
                modifiers[before.text.casefold()] += 1
            frame = _term_frame(tokens, i)
            if frame:
                frames[frame] += 1
    if seen >= 2 and frames:
        term, count = frames.most_common(1)[0]
        if count / seen >= MODIFIED_SHARE:
            return term
    if seen < 2 or not modifiers:
        return key
    adjective, count = modifiers.most_common(1)[0]
    return f"{adjective} {key}" if count / seen >= MODIFIED_SHARE and is_dutch_word(adjective) else key


# The words that link the nouns of a fixed term: "community of practice", "return on investment",
# "raad van bestuur". Dutch parses the English "of" as "or" and makes two concepts of one.
_TERM_LINKS = frozenset(["of", "on", "for", "van"])


def _term_frame(tokens: list[Token], i: int) -> str | None:
    """The term of three words that the noun at ``i`` ends or begins ("practice" in "community of
    practice"), if a linking word joins it to another noun."""
    for first, last in ((i - 2, i), (i, i + 2)):
        if first < 0 or last >= len(tokens):
            continue
        link, other = tokens[first + 1], tokens[first if last == i else last]
        if link.text.casefold() in _TERM_LINKS and other.pos in ("NOUN", "PROPN", "X") and other.text.isalpha():
            return " ".join(t.text.casefold() for t in tokens[first : last + 1])
    return None


# A month or a weekday says when something happens, never what a theme is about ("Januari: waar begint
# het?" on ep14, the demo's "Mei", Whisper's "mij"): no label.
CALENDAR = frozenset(
    """januari februari maart april mei juni juli augustus september oktober november december
    maandag dinsdag woensdag donderdag vrijdag zaterdag zondag""".split()
)
POINTED = 2.0  # the host's opening concept or a named term: what the theme is about, said or not often
_NAMING_CUE = re.compile(
    r"\b(?:de term|het woord|het begrip|het concept|(?:hebben|heb|hebt) (?:we |ge |je )?het (?:hier |dan |nu )?over)"
    r"\s+(?:de |het |een |die |dat )?([\w'-]+(?: [\w'-]+){0,2})",
    re.IGNORECASE,
)


def _determined(sentence: ParsedSentence) -> list[Token]:
    """The nouns an article, demonstrative or possessive goes with ("een mentorprogramma", "die
    leerafdeling", "uw trainerspool"): the things a sentence is about, where the tagger also calls
    adverbs and participles nouns."""
    tokens = sentence.tokens
    return [t for i, t in enumerate(tokens) if t.pos == "NOUN" and _is_nominal(t)
            and any(d.head == i and d.dep in _DETERMINERS and d is not t for d in tokens)]


# "uw trainerspool", "jullie mentorprogramma": a possessive determines the noun as an article does
_DETERMINERS = frozenset(["det", "nmod:poss"])


# An asked concept is a specific one: an everyday noun in the host's question ("een keuze", "de plaats")
# is how the question is put. Measured on the MBROLA renderings of ep12-ep20: without this bound three
# headings took such a word ("Keuze", "Plaats", "Instrument").
ASKED_MIN_SPECIFICITY = 0.5  # zipf 3.5 or less


def _asked_concept(key: str) -> bool:
    """Whether a noun of the host's question may lead its theme: specific, and no preposition glued to
    a word where the frequency list lacks the whole ("als het overtaal gaat": Whisper's "over taal")."""
    specific = specificity(key)
    if specific < ASKED_MIN_SPECIFICITY:
        return False
    parts = split_compound(key) if specific == 1.0 else None  # unlisted: a compound, or words glued
    return not (parts and parts[0] in PREPOSITIONS)


def _asked_phrases(opening: list[ParsedSentence], members: list[ParsedSentence]) -> set[str]:
    """The first adjective-noun phrase of each of the host's opening questions that the theme says
    again ("waarom zou ge met interne trainers werken, in plaats van een externe trainer?"): the kind
    of thing the question asks about is the concept, where the bare noun ("trainer") runs through the
    whole episode and the parse makes no keyphrase of it; a question names its subject before the
    alternatives it weighs it against."""
    asked: set[str] = set()
    for sentence in opening:
        if not sentence.text.rstrip().endswith("?"):
            continue
        tokens = sentence.tokens
        pairs = [f"{before.text} {token.text}".casefold()
                 for i, (before, token) in enumerate(itertools.pairwise(tokens))
                 if token.pos == "NOUN" and before.pos == "ADJ" and before.dep == "amod"
                 and before.head == i + 1 and before.text.isalpha()]  # fmt: skip
        counts = _phrase_counts(members, pairs)
        asked.update(next(([phrase] for phrase in pairs if counts[phrase] >= 2), []))
    return asked


def _lower_text(sentence: ParsedSentence) -> str:
    return " ".join(t.text.casefold() for t in sentence.tokens)


def _opening(members: list[ParsedSentence], hosts: set[str] | frozenset[str]) -> list[ParsedSentence]:
    """The host's sentences that open the theme, up to the first sentence of someone else."""
    opening: list[ParsedSentence] = []
    for sentence in members:
        if sentence.speaker not in hosts:
            break
        opening.append(sentence)
    return opening


_CUE_NOUNS = frozenset(["term", "woord", "begrip", "concept"])


def _named_terms(members: list[ParsedSentence], phrases: list[str]) -> set[str]:
    """Concepts a speaker names as a term: the noun (or keyphrase) right after a naming cue."""
    found: set[str] = set()
    for sentence in members:
        for match in _NAMING_CUE.finditer(sentence.text):
            words = match.group(1).casefold().split()
            phrase = next((p for p in phrases if " ".join(words).startswith(p)), None)
            if phrase:
                found.add(phrase)
                continue
            # the word itself, whatever the tagger made of it ("het woord feedbackmoment vallen":
            # a rare compound after a cue is often tagged as a particle or adjective)
            word = words[0].strip("'")
            if word not in _CUE_NOUNS and any(c.isalpha() for c in word):
                found.add(word)
    return found


# "Zelfgestuurd leren, dat klinkt mooi.": a phrase put before the sentence and taken up by a pronoun
# (left dislocation) is the topic the speaker sets; a host opens a theme this way, or names the term
# for it ("Een meewerkend ploegleider, noemen ze dat."). A bridge is the opposite: "Jobs ernaast, dat
# brengt mij bij ..." leaves what was said for what follows.
_DISLOCATED = re.compile(
    r"^(?:(?:een|de|het) )?([\w'-]+(?: [\w'-]+){0,2}), (?!(?:dat|dit) brengt (?:ons|mij|me)\b)"
    r"(?:dat|da's|wat|die|dan|(?:zo )?noem(?:en|t) (?:ze|we|wij|zij|men|ge|jullie) dat|heet dat|zoals dat heet)\b",
    re.IGNORECASE,
)


def _dislocated(sentences: list[ParsedSentence]) -> set[str]:
    """The topics ``sentences`` put before themselves ("zelfgestuurd leren" in "Zelfgestuurd leren,
    dat klinkt mooi."), without their article; the caller leaves out names ("Hanne, dan ...")."""
    found = set()
    for sentence in sentences:
        match = _DISLOCATED.match(sentence.text.strip())
        if not match:
            continue
        article = len(match.group(0)[: match.start(1)].split())
        if _a_noun_phrase(sentence.tokens[article : article + len(match.group(1).split())]):
            found.add(match.group(1).casefold())
    return found


def _a_noun_phrase(tokens: list[Token]) -> bool:
    """Whether the words put first name a thing: a noun (or an infinitive, "zelfgestuurd leren") at the
    end, not opened by a conjunction or pronoun ("Half overtuigd, dat is veel", "Maar los, wat is dat?"
    as Whisper heard the name Marloes)."""
    if not tokens:
        return False
    last = tokens[-1]
    head = last.pos in ("NOUN", "PROPN") or (last.pos == "VERB" and "VerbForm=Inf" in last.morph)
    return head and tokens[0].pos not in _NO_TOPIC_START


# what opens no topic; an adverb may ("Zelf gestuurd leren, ..." as Whisper splits "zelfgestuurd")
_NO_TOPIC_START = frozenset(["CCONJ", "SCONJ", "PRON", "AUX", "INTJ"])


def _merge_hyphenated(counts: Counter[str]) -> None:
    """"SBI" and "SBI-model", said one after the other, are one concept: the compound takes the count of
    its specific first part (a part general Dutch knows well, "team" in "team-overleg", stays apart),
    unless the part is said more often on its own: then the part is the concept and the compound one of
    its mentions ("EVC" twice, "een EVC-centrum" once)."""
    for key in [k for k in counts if "-" in k and " " not in k]:
        first = key.split("-", 1)[0]
        if first in counts and specificity(first) > 0.5:
            if counts[first] > counts[key]:
                counts[first] += counts.pop(key)
            else:
                counts[key] += counts.pop(first)


# A compound the frequency list lacks needs to be heard better than a listed word: Whisper's
# mishearings are mostly real words glued together ("feitbak" for "feedback", heard at 0.60, against
# 0.85-0.95 for the words it got right on the MBROLA renderings of the shared episodes).
UNLISTED_PROBABILITY = 0.8


def _confident(sentences: list[ParsedSentence], min_probability: float) -> dict[str, float]:
    """Per concept key: how well Whisper heard it (its mean word probability), 0 where it is too
    unsure to name a theme or the parse takes the word for a verb more often than for a noun ("vind"
    in garbled ASR is tagged a noun once, a verb everywhere else)."""
    heard: dict[str, list[float]] = {}
    verbal: Counter[str] = Counter()
    nominal: Counter[str] = Counter()
    for sentence in sentences:
        for token in sentence.tokens:
            word = token.text.casefold()
            if _is_nominal(token):
                heard.setdefault(concept_key(token), []).append(token.probability)
                nominal[word] += 1
            elif token.pos in ("VERB", "AUX"):
                verbal[word] += 1
    result = {}
    for key, probabilities in heard.items():
        mean = sum(probabilities) / len(probabilities)
        floor = min_probability if " " in key or zipf(key) >= KNOWN else max(min_probability, UNLISTED_PROBABILITY)
        result[key] = mean if mean >= floor and verbal[key] <= nominal[key] else 0.0
    return result


def _joined_compounds(sentence: ParsedSentence) -> list[tuple[str, str, str]]:
    """(modifier, head key, compound) for each compound Whisper wrote as two words ("evaluatie gesprek",
    "loopbaan begeleiding"): two adjacent lower-case words of at least three letters, the second a
    noun, whose joined form is a word of general Dutch (wordfreq lists it) and no everyday word.

    Whisper splits the long compounds a theme is about and hears each part less surely than the whole
    would be written (on the MBROLA renderings of the shared episodes one of each theme's first three
    keywords is in the heard text inside the theme 14 of 14 times, mostly split or misspelt); counted
    apart, the head ("gesprek") wins and the concept is lost. Only joins general Dutch knows: a
    listed compound is no chance pairing, while "om dat" or "te veel" (listed, but everyday words) are
    kept out by the specificity floor.
    """
    found = []
    tokens = sentence.tokens
    for left, right in itertools.pairwise(tokens):
        a, b = left.text, right.text
        if not (a.isalpha() and b.isalpha() and a.islower() and b.islower() and len(a) >= 3 and len(b) >= 3):
            continue
        if not left.space or not _is_nominal(right) or left.pos not in _MODIFIER_POS:
            continue
        compound = a + b
        if zipf(compound) >= KNOWN and specificity(compound) >= JOINED_SPECIFICITY:
            found.append((a, concept_key(right), compound))
    return found


_MODIFIER_POS = frozenset(["NOUN", "PROPN", "ADJ", "X", "VERB"])
JOINED_SPECIFICITY = 0.5  # zipf 3.5 and rarer: a specific compound, not an everyday word ("zodat", "teveel")


def _joined_confidence(
    sentences: list[ParsedSentence], joined: dict[int, list[tuple[str, str, str]]], min_probability: float
) -> dict[str, float]:
    """How well Whisper heard each joined compound: the mean probability of its two words, 0 under
    ``min_probability`` (the compound is no better heard than its parts)."""
    heard: dict[str, list[float]] = {}
    for sentence in sentences:
        pairs = list(itertools.pairwise(sentence.tokens))
        for a, _, key in joined[id(sentence)]:
            for left, right in pairs:
                if left.text == a and concept_key(right) and (left.text + right.text).casefold() == key:
                    heard.setdefault(key, []).extend([left.probability, right.probability])
                    break
    result = {}
    for key, probabilities in heard.items():
        mean = sum(probabilities) / len(probabilities)
        result[key] = mean if mean >= min_probability else 0.0
    return result


def _rank(keys: list[str], scores: dict[str, float], announced: set[str], recurring: set[str],
          by_host: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Best first by salience, led by the best concept announced for the theme (``by_host``, those the
    host opened it with, before the terms a speaker named later).

    The announcement names what the theme is about, so it leads even when the guests' examples are
    said more often; a concept said once is only admitted as that lead, never as a second label.
    """
    ranked = sorted(keys, key=lambda k: (-scores[k], -len(k.split())))
    # a phrase on an announced head word is that announcement ("de beste vakman" in the host's question
    # counts as "beste vakman", whose mentions its head's score went to)
    announced = announced | {k for k in keys if " " in k and k.split()[-1] in announced}
    by_host = set(by_host) | {k for k in keys if " " in k and k.split()[-1] in by_host}
    lead = sorted((k for k in ranked if k in announced), key=lambda k: k not in by_host)[:1]
    return lead + [k for k in ranked if k not in lead and k in recurring]


def shared_thread(
    sentences: list[ParsedSentence],
    themes: list[int],
    blocked: set[str],
    stop_words: set[str] | frozenset[str],
) -> str | None:
    """The concept that runs through the most of ``themes`` (then the most often, weighed by its
    specificity against general Dutch): the episode's thread. One of Dutch's most frequent words
    (``THREAD_SPECIFICITY``: "dag", "jaar", "vraag") is none: "telkens draait het om dag". On the shared
    episodes the count alone made "mensen" the thread of all three; weighed, ep14's is "feedback"."""
    spread: dict[str, set[int]] = {}
    counts: Counter[str] = Counter()
    nominal = []
    for sentence in sentences:
        if sentence.theme not in themes:
            continue
        for token in sentence.tokens:
            if _is_nominal(token) and token.pos != "PROPN":
                key = concept_key(token)
                if key in stop_words or key in {b.casefold() for b in blocked} or len(key) < 3:
                    continue
                spread.setdefault(key, set()).add(sentence.theme)
                counts[key] += 1
                nominal.append(token)
    spread = {k: v for k, v in spread.items() if specificity(k) >= THREAD_SPECIFICITY}
    if not spread:
        return None
    best = max(spread, key=lambda k: (len(spread[k]), counts[k] * specificity(k)))
    if len(spread[best]) < max(2, math.ceil(len(themes) / 2)):
        return None
    return _as_written(sentences, best)


THREAD_SPECIFICITY = 0.25  # zipf 5.25 and rarer: Dutch's ~700 most frequent words name no thread


def _as_written(sentences: list[ParsedSentence], key: str, cased: str | None = None) -> str:
    """The concept as the text most often writes it, with its definite article if it has one
    ("het gesprek", "mensen"); ``cased``: how the text capitalises it inside a sentence ("Slack")."""
    forms: Counter[str] = Counter()
    for sentence in sentences:
        for i, token in enumerate(sentence.tokens):
            if _is_nominal(token) and concept_key(token) == key:
                dets = [t.text.lower() for t in sentence.tokens if t.head == i and t.dep == "det"]
                article = next((d for d in dets if d in ("de", "het")), "")
                word = token.text if token.text[1:] != token.text[1:].lower() else token.text.lower()
                if cased is not None and word.casefold() == cased.casefold():
                    word = cased
                forms[f"{article} {word}".strip()] += 1
    return forms.most_common(1)[0][0] if forms else key


def heard_as_dutch(phrase: str, sentences: list[ParsedSentence], min_probability: float = 0.6) -> bool:
    """Whether a phrase is Dutch and, where the transcript has it, was heard with ``min_probability``."""
    if not is_dutch(phrase) or is_outro(phrase) or phrase.casefold() in CALENDAR:
        return False
    wanted = set(phrase.casefold().split())
    heard = [t.probability for s in sentences for t in s.tokens if t.text.casefold() in wanted]
    return not heard or sum(heard) / len(heard) >= min_probability


def is_outro(text: str) -> bool:
    """Whether a sentence or word thanks, greets or sends the listener on (``_OUTRO``)."""
    return bool(_OUTRO.search(text))


def outro_themes(sentences: list[ParsedSentence], themes: list[Theme]) -> set[int]:
    """The trailing themes that are the outro (thanks, a call to listen on), never a theme of their own.

    A theme is outro when at least half of its words are in sentences that thank, greet or point the
    listener elsewhere; the segmentation sometimes cuts the host's last words off as a theme.
    """
    outro: set[int] = set()
    for index in range(len(themes) - 1, 0, -1):
        members = [s for s in sentences if s.theme == index]
        words = sum(len(s.text.split()) for s in members)
        cued = sum(len(s.text.split()) for s in members if _OUTRO.search(s.text))
        if not members or cued * 2 < words:
            break
        outro.add(index)
    return outro


CLOSING_PROBABILITY = 0.6


def closing_round(sentences: list[ParsedSentence], themes: list[Theme], last: int | None = None) -> int | None:
    """The index of the last theme when it is the conversation's closing round, else None.

    A closing round introduces nothing: its concepts were all discussed before. Measured as the share
    of its noun tokens whose lemma occurred in an earlier theme (Dutch words heard with
    ``CLOSING_PROBABILITY`` only); the last theme (``last``: the one before an outro) is a closing round
    when that share is at least one half and higher than in any theme before it.
    """
    last = len(themes) - 1 if last is None else last
    if last < 2:
        return None
    seen: set[str] = set()
    shares = []
    for index in range(last + 1):
        # only words Whisper heard well count: a mishearing is a new word wherever it falls (on ep12's
        # MBROLA rendering the closing round's share was 0.40 with them, 0.5 and more in typed text)
        keys = [
            concept_key(t)
            for s in sentences
            if s.theme == index
            for t in s.tokens
            if _is_nominal(t) and t.probability >= CLOSING_PROBABILITY and is_dutch_word(t.text)
        ]
        shares.append(sum(k in seen for k in keys) / len(keys) if keys else 0.0)
        seen.update(keys)
    log.debug("share of earlier concepts per theme: %s", [round(x, 2) for x in shares])
    if shares[last] >= 1 / 2 and shares[last] > max(shares[1:last], default=0.0):
        return last
    # or the host announces it ("We zijn bijna aan het einde, ..."): from audio the share falls with
    # every mishearing (ep22's round, "Alles, we zijn wijn aan het einde", 0.4 of earlier concepts)
    opening = next((s for s in sentences if s.theme == last), None)
    if opening is not None and CLOSING_CUE.search(opening.text):
        return last
    return None


# Thanks, farewells and the call to listen on: the host's outro, never a summary of the conversation.
_OUTRO = re.compile(
    r"\b(?:bedankt|dank (?:u|je|jullie)|merci|luisteraars?|beluister|playlist|abonneer|volgende (?:keer|aflevering)|"
    r"tot (?:de )?volgende|laat (?:het )?(?:ons )?(?:zeker )?weten|samenvatting)",
    re.IGNORECASE,
)


def host_recap(members: list[ParsedSentence], hosts: set[str] | frozenset[str], max_words: int = 10) -> str | None:
    """The host's short summary of the closing round ("Klein, vaak, en durven vragen."), or None.

    Hosts of this kind of show close by naming in a few words what the guests' last advice comes to,
    then thank them; the reference article's "Tot slot: meer impact, minder theater" is such a summary.
    It is the host's first sentence after a guest has spoken in the closing round, of at most
    ``max_words`` words, neither a question nor a thanks, farewell or call to listen on, and Dutch as
    heard (every word Dutch, none that Whisper was unsure of).
    """
    guest_spoke = False
    opened = False  # the round opens with the host: a guest's words before that end the previous theme
    for index, sentence in enumerate(members):
        if sentence.speaker not in hosts:
            guest_spoke = opened
            continue
        opened = True
        text = sentence.text.strip()
        if text.endswith("?"):
            # the round's question: what follows it and the answers is no recap ("Stijn, begin maar."
            # hands the floor over)
            guest_spoke = False
            continue
        if not guest_spoke or _question_follows(members, index, hosts):
            continue  # what leads up to the host's question sets it up ("Iemand luistert mee, ...")
        if _OUTRO.search(text):
            # the recap comes before the host calls it a summary and thanks the guests; after that only
            # the outro follows ("Laat het ons zeker weten", misheard "laat het om zeker weten" on ep14's
            # MBROLA rendering, escaped the outro cue and became the closing heading)
            return None
        if any(t.probability < 0.6 for t in sentence.tokens):
            continue
        if len(re.findall(r"[\w'-]+", text)) > max_words:
            # a recap of each guest's advice in turn ("De juiste vraag op het formulier, en vooraf
            # afspreken wat succes is."): as many of its parts as a heading holds, whole
            text = _leading_parts(text.rstrip(".!…"), max_words)
        # what the heading prints must read as a summary: Dutch words, nobody in the first or second
        # person (the rest of the sentence may go on "... : amai, daar kunnen we mee verder")
        words = re.findall(r"[\w'-]+", text)
        if len(words) < 2 or has_personal(text) or not all(is_dutch_word(w) for w in words):
            continue
        if words[0].casefold() in CONJUNCTIONS:
            continue  # the tail of a sentence cut in two ("en daar maakt het grootste verschil"), no summary
        return text.rstrip(".!…")
    return None


def _question_follows(members: list[ParsedSentence], index: int, hosts: set[str] | frozenset[str]) -> bool:
    """Whether the host asks a question later in the same turn as ``members[index]``, before the
    outro (whose questions are for the listeners: "zijt gij ooit ...? Laat het ons weten")."""
    for sentence in members[index + 1 :]:
        if sentence.speaker not in hosts or _OUTRO.search(sentence.text):
            return False
        if sentence.text.rstrip().endswith("?"):
            return True
    return False


def _leading_parts(text: str, max_words: int) -> str:
    """The leading comma-separated parts of ``text`` that together hold at most ``max_words`` words."""
    kept: list[str] = []
    for part in text.split(","):
        if len(re.findall(r"[\w'-]+", ",".join([*kept, part]))) > max_words:
            break
        kept.append(part)
    return ",".join(kept).strip() if len(kept) < len(text.split(",")) else ""


__all__ = [
    "ThemeConcepts",
    "closing_round",
    "concept_key",
    "heard_as_dutch",
    "host_recap",
    "is_outro",
    "outro_themes",
    "shared_thread",
    "theme_concepts",
]
