"""Topic segmentation of a conversation into themes, TextTiling-style, on turn boundaries.

Every gap between two turns gets a similarity: the cosine between the (word-weighted, episode-centred)
embedding of the ~W words before it and the ~W words after it. A gap's depth is how far its similarity
dips below the highest similarity reachable on either side (Hearst's depth score). Gaps where the
host takes the floor, or a turn opens with a topic-shift phrase, get a bonus: in an interview the host
moves the conversation on. Boundaries are taken greedily by score, keeping themes a minimum length
apart, between ``min_themes`` and ``max_themes`` themes. The host's welcome and the introductions
that follow it can be left out of the first theme.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from podpipe.stages.analyse.document import Conversation, Turn
from podpipe.stages.analyse.entities import SELF_INTRO, WORKS_AT
from podpipe.stages.analyse.lexicon import specificity

# How a host announces the closing round ("We zijn bijna aan het einde, en zoals altijd vraag ik aan
# elk van mijn gasten één tip").
_CLOSING = (
    r"tot slot|om af te (?:ronden|sluiten)|ter afsluiting|we zijn (?:[a-z]+ )?rond|laatste vraag|"
    r"(?:bijna )?aan het einde|(?:stilaan|langzaam) afronden"
)
CLOSING_CUE = re.compile(rf"\b(?:{_CLOSING})\b", re.IGNORECASE)
# Dutch phrases with which a host typically opens a new subject or the closing round. Generic
# discourse markers, not tied to any episode.
TOPIC_SHIFT = re.compile(
    rf"\b(?:{_CLOSING}|"
    r"(?:een )?ander (?:onderwerp|thema|punt)|(?:een )?volgend(?:e)? (?:onderwerp|thema|punt)|"
    r"laten we (?:het )?(?:nu )?(?:eens )?(?:hebben over|overstappen|verder gaan)|"
    r"(?:dan|nu) (?:wil|zou) ik (?:graag )?(?:het )?(?:eens )?(?:hebben over|overstappen|naar)|"
    r"(?:daarmee|dan) zijn we (?:bij|aan)|bruggetje|over naar|even naar|verder naar|"
    r"iets helemaal anders|van onderwerp|(?:wil|zou) ik (?:graag )?(?:even |eens )?(?:op )?doorgaan|"
    r"(?:(?:wil|zou) ik|ik (?:wil|zou)) (?:(?:het|graag|nog|even|eens|ook) )*(?:hebben )?over|rondje|"
    r"(?:dat|dit) brengt (?:ons|mij|me) (?:meteen )?(?:bij|naar)|kom(?:en)? (?:ik|we) (?:dan )?bij|"
    r"laat ons (?:daar )?(?:meteen )?|"
    r"dan (?:nog )?iets (?:waar|wat|dat|over|anders)|dan nog (?:één|een) (?!keer\b)|"
    r"(?:richting|naar) het einde?)\b",
    re.IGNORECASE,
)
WELCOME = re.compile(
    r"\b(?:welkom|hallo|dag allemaal|goeiedag|goedendag|goeiemorgen|goedemorgen|goedenavond|hoi|"
    r"fijn dat (?:jullie|je|ge|u) (?:er )?(?:bij )?(?:luistert|bent|zijt))\b",
    re.IGNORECASE,
)
GREETING_REPLY = re.compile(
    r"\b(?:dank (?:u|je|jullie)|bedankt|merci|dankjewel|dankuwel|uitnodiging|leuk om hier|fijn om hier|"
    r"blij om hier|goed om hier|hallo|hoi|dag (?:allemaal|iedereen)|goeiedag|goedendag|graag gedaan|"
    r"(?:leuk|fijn|blij) dat ik (?:er )?(?:hier )?(?:ben|mag zijn)|met plezier)\b",
    re.IGNORECASE,
)


# A reply that opens by greeting the host ("Dag Walter.", "Merci, Walter."), whatever follows.
OPENS_WITH_GREETING = re.compile(
    r"^\s*(?:dag|hallo|hoi|merci|dank (?:u|je|jullie)|bedankt|dankjewel|dankuwel)\b[^.!?]{0,25}[.!,]", re.IGNORECASE
)


@dataclass(slots=True)
class ThemeSpan:
    first_turn: int
    last_turn: int  # inclusive
    first_sentence: int
    last_sentence: int  # inclusive

    @property
    def sentence_ids(self) -> list[int]:
        return list(range(self.first_sentence, self.last_sentence + 1))


@dataclass(slots=True)
class Unit:
    """What a boundary may fall before: a turn, or a stretch of ~100+ words of a long turn."""

    turn: int
    first_sentence: int
    last_sentence: int
    words: int
    opens_turn: bool


@dataclass(slots=True)
class SegmentationTrace:
    """What the segmentation saw, for debugging and the benchmark."""

    content_start: int
    gaps: list[int]
    similarity: list[float]
    depth: list[float]
    score: list[float]
    boundaries: list[int]


# A word that points back at what was just said ("dat", "daar", "die aanpak").
POINTS_BACK = re.compile(r"\b(?:dat|dit|die|daar\w*|hierover|dan)\b", re.IGNORECASE)
# A guest who takes the host's part and puts a question to another guest ("Mag ik u eens iets vragen,
# Kristof?") opens a theme as a host's question does.
GUEST_ASKS = re.compile(
    r"\b(?:mag ik (?:u|je|jou|jullie|gij) (?:nu |dan |eens |even |ook |daar )*(?:iets|een vraag|ne vraag) "
    r"(?:vragen|stellen)|ik heb (?:nog )?(?:een|ne) vraag (?:voor|aan) )",
    re.IGNORECASE,
)
# A host's remark of this many words or more brings a subject up: shorter ones ("Mooi.", "Dat herken
# ik.") acknowledge the answer before.
HANDOVER_WORDS = 12


def intro_end(conv: Conversation, max_fraction: float = 0.2) -> int:
    """Index of the first turn after the host's welcome and the introductions (0: none found).

    The intro is a welcome in the first turn, then replies of guests that greet or thank (or are
    short), up to the next host turn; it never covers more than ``max_fraction`` of the words.
    """
    turns = conv.turns
    if len(turns) < 4:
        return 0
    first = turns[0]
    opening = first.text[:400]
    if not WELCOME.search(opening):
        return 0
    host = first.speaker
    if conv.hosts and host not in conv.hosts:
        return 0
    limit = conv.total_words * max_fraction
    words = first.words
    index = 1
    seen_reply = False
    # a guest who greets and then answers the host's first question ("Dag Walter. Meestal: ...") is
    # still in the introduction only if the host then brings in another guest (below)
    answered = False
    while index < len(turns):
        turn = turns[index]
        if turn.speaker == host:
            break
        # a guest who introduces themselves ("Dag Walter. Ik ben ..., ik werk bij ...") has not
        # answered anything yet, however long the introduction
        if not (GREETING_REPLY.search(turn.text[:200]) or turn.words <= 20 or _introduces_self(turn)):
            if not OPENS_WITH_GREETING.match(turn.text):
                return 0
            answered = True
        seen_reply = True
        words += turn.words
        index += 1
    if not seen_reply or index >= len(turns) or words > limit:
        return 0
    first_answers = index
    # A host turn that brings in a guest not heard yet ("mijn tweede gast is ...", "vertel jij maar
    # wie je bent") still belongs to the intro when every reply to it is a first word from someone
    # new: a greeting, a short word or a self-introduction. A guest's first answer to the opening
    # question is none of these, so the theme still starts at that question.
    spoken = {turn.speaker for turn in turns[:index]}
    while index < len(turns) and turns[index].speaker == host:
        replies = index + 1
        while replies < len(turns) and turns[replies].speaker != host:
            replies += 1
        answers = turns[index + 1 : replies]
        if (not answers or replies >= len(turns)
                or any(turn.speaker in spoken or not _first_words(turn) for turn in answers)):
            break
        added = sum(turn.words for turn in turns[index:replies])
        if words + added > limit:
            break
        words += added
        spoken.update(turn.speaker for turn in answers)
        index = replies
    return 0 if answered and index == first_answers else index


def _introduces_self(turn: Turn) -> bool:
    """Whether a turn opens with its speaker's introduction: "ik ben <Naam>", "mijn naam is ...", or
    where they work ("Ilse Maertens. Ik ben kennismanager bij Lysdal")."""
    return bool(SELF_INTRO.search(turn.text[:300]) or WORKS_AT.search(turn.text[:300]))


def _first_words(turn: Turn) -> bool:
    """Whether a turn reads as a guest's first words: a greeting, a short reply or a self-introduction."""
    return turn.words <= 20 or _introduces_self(turn) or (
        turn.words <= 40 and bool(GREETING_REPLY.search(turn.text[:200])))


def build_units(conv: Conversation, max_words: int) -> list[Unit]:
    """Turns as units; a turn of more than ``max_words`` words is cut at sentence ends into pieces of
    about ``max_words / 2`` (a monologue or a solo episode must still split into themes)."""
    units: list[Unit] = []
    for turn in conv.turns:
        if not turn.sentences:
            continue
        piece: list[int] = []
        words = 0
        total = sum(conv.sentences[s].words for s in turn.sentences)
        target = max_words // 2 if total > max_words else total + 1
        for sid in turn.sentences:
            piece.append(sid)
            words += conv.sentences[sid].words
            if words >= target:
                units.append(
                    Unit(turn.index, piece[0], piece[-1], words, not units or units[-1].turn != turn.index)
                )
                piece, words = [], 0
        if piece:
            if units and units[-1].turn == turn.index and words < target / 3:
                last = units[-1]
                units[-1] = Unit(
                    last.turn, last.first_sentence, piece[-1], last.words + words, last.opens_turn
                )
            else:
                units.append(
                    Unit(turn.index, piece[0], piece[-1], words, not units or units[-1].turn != turn.index)
                )
    return units


def _window_vectors(
    vectors: np.ndarray, words: np.ndarray, starts: list[int], window: int, weighted_rows: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Sums of sentence rows (word-weighted if ``weighted_rows``) in ~``window`` words before and after
    each sentence index in ``starts``."""
    weights = np.maximum(words, 1).astype(float)
    weighted = vectors * weights[:, None] if weighted_rows else vectors
    prefix = np.vstack([np.zeros((1, vectors.shape[1])), np.cumsum(weighted, axis=0)])
    cum_words = np.concatenate([[0.0], np.cumsum(weights)])
    lefts, rights = [], []
    for s in starts:
        a = max(int(np.searchsorted(cum_words, cum_words[s] - window, side="right")) - 1, 0)
        b = min(int(np.searchsorted(cum_words, cum_words[s] + window, side="left")), len(vectors))
        lefts.append(prefix[s] - prefix[a])
        rights.append(prefix[b] - prefix[s])
    return np.asarray(lefts), np.asarray(rights)


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    na = np.linalg.norm(a, axis=1)
    nb = np.linalg.norm(b, axis=1)
    return (a * b).sum(axis=1) / np.maximum(na * nb, 1e-9)


def _zscore(values: np.ndarray) -> np.ndarray:
    spread = float(np.std(values))
    return (values - float(np.mean(values))) / (spread if spread > 1e-9 else 1.0)


def depth_scores(similarity: np.ndarray) -> np.ndarray:
    """Hearst's depth: climb to the highest similarity on each side, add both rises."""
    n = len(similarity)
    depth = np.zeros(n)
    for i in range(n):
        left = similarity[i]
        for j in range(i - 1, -1, -1):
            if similarity[j] < left:
                break
            left = similarity[j]
        right = similarity[i]
        for j in range(i + 1, n):
            if similarity[j] < right:
                break
            right = similarity[j]
        depth[i] = (left - similarity[i]) + (right - similarity[i])
    return depth


def segment(
    conv: Conversation,
    vectors: np.ndarray,
    min_themes: int = 3,
    max_themes: int = 6,
    skip_intro: bool = True,
    window_divisor: float = 1.5,
    threshold_sigma: float = 1.0,
    lexical: np.ndarray | None = None,
    lexical_weight: float = 0.5,
    host_bonus: float = 0.5,
    cue_bonus: float = 1.0,
    lemma_lists: list[list[str]] | None = None,
    novelty_bonus: float = 1.0,
) -> tuple[list[ThemeSpan], SegmentationTrace]:
    """Theme spans over the conversation, from sentence vectors (rows aligned with ``conv.sentences``)."""
    turns = conv.turns
    intro = intro_end(conv) if skip_intro else 0
    content_words = sum(t.words for t in turns[intro:])
    window = int(np.clip(content_words / (window_divisor * max_themes), 60, 400))
    min_theme_words = max(content_words / (max_themes * 2.5), 60.0)
    units = [u for u in build_units(conv, max_words=max(2 * window, 120)) if u.turn >= intro]
    if not units:
        return [], SegmentationTrace(intro, [], [], [], [], [])
    gaps = list(range(1, len(units)))
    if not gaps or len(vectors) == 0:
        return _spans(units, []), SegmentationTrace(intro, [], [], [], [], [])
    similarity = _gap_similarity(conv, units, gaps, vectors, window, lexical, lexical_weight)
    depth = depth_scores(similarity)
    score = _boundary_scores(conv, units, gaps, depth, intro, host_bonus, cue_bonus)
    if lemma_lists is not None and novelty_bonus > 0:
        score += novelty_bonus * (float(np.std(depth)) or 1.0) * novelty(conv, units, gaps, lemma_lists, window)
    chosen = _choose_cuts(units, gaps, score, min_themes, max_themes, threshold_sigma, min_theme_words)
    chosen = _with_their_question(conv, units, chosen)
    chosen = _with_closing_round(conv, units, gaps, chosen, min_theme_words)
    trace = SegmentationTrace(
        intro,
        [units[g].turn for g in gaps],
        similarity.tolist(),
        depth.tolist(),
        score.tolist(),
        [units[g].turn for g in chosen],
    )
    return _spans(units, chosen), trace


def _spans(units: list[Unit], cuts: list[int]) -> list[ThemeSpan]:
    edges = [0, *cuts, len(units)]
    return [
        ThemeSpan(
            units[edges[i]].turn,
            units[edges[i + 1] - 1].turn,
            units[edges[i]].first_sentence,
            units[edges[i + 1] - 1].last_sentence,
        )
        for i in range(len(edges) - 1)
    ]


def _gap_similarity(conv: Conversation, units: list[Unit], gaps: list[int], vectors: np.ndarray, window: int,
                    lexical: np.ndarray | None, lexical_weight: float) -> np.ndarray:
    """How alike the words before and after each gap are (z-scored, smoothed): low means a topic shift."""
    words = np.array([s.words for s in conv.sentences])
    starts = [units[g].first_sentence for g in gaps]
    # Centre the vectors on the episode: what all sentences share says nothing about topic shifts.
    centred = vectors - vectors.mean(axis=0, keepdims=True)
    left, right = _window_vectors(centred, words, starts, window)
    similarity = _zscore(_cos(left, right))
    if lexical is not None and lexical_weight > 0 and lexical.shape[1] > 0:
        lex_left, lex_right = _window_vectors(lexical, words, starts, window, weighted_rows=False)
        similarity = (1 - lexical_weight) * similarity + lexical_weight * _zscore(_cos(lex_left, lex_right))
    # light smoothing, as TextTiling does
    if len(similarity) >= 3:
        padded = np.concatenate([[similarity[0]], similarity, [similarity[-1]]])
        similarity = (padded[:-2] + 2 * padded[1:-1] + padded[2:]) / 4
    return similarity


def _boundary_scores(conv: Conversation, units: list[Unit], gaps: list[int], depth: np.ndarray, intro: int,
                     host_bonus: float, cue_bonus: float) -> np.ndarray:
    """Depth scores with the conversation's priors: in an interview a new theme opens with a host's
    turn (a question more so); elsewhere on a turn boundary; a topic-shift cue counts for it."""
    turns, hosts = conv.turns, conv.hosts
    content_turns = [t for t in turns[intro:] if t.sentences]
    host_turns = sum(1 for t in content_turns if t.speaker in hosts)
    interview = host_turns >= 3 and host_turns < 0.7 * len(content_turns)
    scale = float(np.std(depth)) or 1.0
    score = depth.copy()
    for k, gap in enumerate(gaps):
        unit = units[gap]
        turn = turns[unit.turn]
        if interview:
            if unit.opens_turn and (turn.speaker in hosts or GUEST_ASKS.search(turn.text[:200])):
                # A host opens a theme with a bridge and a question (17-43 words on the shared
                # episodes); a short question ("Wat liep er mis?", 4-11 words) follows up instead.
                bridge = min(1.0, turn.words / 15)
                if turn.words < HANDOVER_WORDS and POINTS_BACK.search(turn.text):
                    bridge = 0.0  # "En hoe hebt ge dat opgelost?": about the answer just given
                score[k] += host_bonus * scale * bridge
                if "?" in turn.text:
                    score[k] += host_bonus / 2 * scale * bridge
            else:
                score[k] -= 2 * host_bonus * scale
        elif not unit.opens_turn:
            score[k] -= host_bonus * scale  # a turn boundary is the likelier place for a new theme
        opening = conv.sentences[unit.first_sentence].text
        if TOPIC_SHIFT.search(opening if not unit.opens_turn else turn.text[:250]):
            score[k] += cue_bonus * scale
    return score


def novelty(
    conv: Conversation, units: list[Unit], gaps: list[int], lemma_lists: list[list[str]], window: int
) -> np.ndarray:
    """Per gap, 0-1: whether the turn after it brings up a specific concept that is new to the episode
    and that the talk after it takes up. A host moves an interview on by naming the next topic
    ("ik hoor bij jullie altijd het woord feedbackmoment vallen"); the follow-up questions in between
    ("wat liep er mis?") name nothing new. Measured on ep12, ep14 and ep15 together: the host turns
    that open a labelled theme bring 1-3 such concepts, the follow-ups none or one everyday word, so
    the concepts count by their specificity against general Dutch (:mod:`.lexicon`), capped at one.
    """
    seen: set[str] = set()
    first_sentence_of: dict[int, int] = {}
    for k, gap in enumerate(gaps):
        first_sentence_of[units[gap].first_sentence] = k
    result = np.zeros(len(gaps))
    words = [s.words for s in conv.sentences]
    for index, lemmas in enumerate(lemma_lists):
        gap_index = first_sentence_of.get(index)
        if gap_index is not None:
            unit = units[gaps[gap_index]]
            own = {lemma for i in range(unit.first_sentence, unit.last_sentence + 1) for lemma in lemma_lists[i]}
            later: set[str] = set()
            budget, j = window, unit.last_sentence + 1
            while j < len(lemma_lists) and budget > 0:
                later.update(lemma_lists[j])
                budget -= words[j]
                j += 1
            # taken up later: a one-off mishearing is not (no lexicon check here, as the lemmatiser
            # cuts rare compounds short: "voorleesuurtjes" -> "voorleesuurt")
            fresh = [lemma for lemma in own - seen if lemma in later]
            result[gap_index] = min(1.0, sum(specificity(lemma) for lemma in fresh) / 1.5)
        seen.update(lemmas)
    return result


def _hands_over(turn: Turn) -> bool:
    """Whether a host's turn gives the floor on a subject: a question, or a remark that brings one up
    and passes it to a guest ("Ik heb een haat-liefdeverhouding met e-learning. Dennis, jij zei net al
    dat jij ze moet verdedigen.")."""
    return turn.text.rstrip().endswith("?") or turn.words >= HANDOVER_WORDS


def _with_their_question(conv: Conversation, units: list[Unit], cuts: list[int]) -> list[int]:
    """Each cut before a guest's answer moved back before the host's question it answers: a question
    opens the theme its answer is in. The similarity dip often falls after a short question ("Bram, ge
    gebruikt vaak het woord transfer. Wat bedoelt ge daarmee?"), whose few words weigh little in the
    windows, and the heading then lacked the concept the host had named. A longer remark that hands
    the floor over opens the theme as a question does."""
    hosts = conv.hosts
    moved = []
    for cut in cuts:
        before = units[cut - 1] if cut > 0 else None
        turn, previous = conv.turns[units[cut].turn], conv.turns[before.turn] if before else None
        if (before is not None and previous is not None and hosts and turn.speaker not in hosts
                and previous.speaker in hosts and before.opens_turn and _hands_over(previous)
                and cut - 1 > 0 and cut - 1 not in cuts and cut - 1 not in moved):  # fmt: skip
            cut -= 1
        moved.append(cut)
    return sorted(set(moved))


# The closing round's words are those of the themes it sums up, so no similarity dip marks it (ep25,
# held out: the round stayed in its last theme); the host's announcement (``CLOSING_CUE``) does.
CLOSING_SHARE = 0.3  # of the content's words: where a closing round can be announced


def _with_closing_round(conv: Conversation, units: list[Unit], gaps: list[int], cuts: list[int],
                        min_theme_words: float) -> list[int]:
    """``cuts`` with one before the host's announcement of the closing round, where none is near it:
    the last host turn with a closing cue in the content's last ``CLOSING_SHARE`` of words."""
    cum = np.concatenate([[0], np.cumsum([u.words for u in units])])
    total = float(cum[-1])
    for gap in reversed(gaps):
        unit, turn = units[gap], conv.turns[units[gap].turn]
        if cum[gap] < total * (1 - CLOSING_SHARE):
            break
        if not (unit.opens_turn and turn.speaker in conv.hosts and CLOSING_CUE.search(turn.text[:250])):
            continue
        near = any(abs(cum[gap] - cum[c]) < min_theme_words / 2 for c in cuts)
        if near or cum[gap] < min_theme_words:
            return cuts
        return sorted([*cuts, gap])
    return cuts


def _choose_cuts(units: list[Unit], gaps: list[int], score: np.ndarray, min_themes: int, max_themes: int,
                 threshold_sigma: float, min_theme_words: float) -> list[int]:
    """The best-scoring gaps, strongest first, as long as every theme keeps enough words."""
    cum = np.concatenate([[0], np.cumsum([u.words for u in units])])
    order = sorted(range(len(gaps)), key=lambda k: -score[k])
    threshold = float(np.mean(score) + threshold_sigma * np.std(score))
    chosen: list[int] = []
    for k in order:
        gap = gaps[k]
        if len(chosen) >= max_themes - 1:
            break
        if len(chosen) >= min_themes - 1 and score[k] < threshold:
            break
        if cum[gap] < min_theme_words or cum[-1] - cum[gap] < min_theme_words:
            continue
        if any(abs(cum[gap] - cum[c]) < min_theme_words for c in chosen):
            continue
        chosen.append(gap)
    return sorted(chosen)
