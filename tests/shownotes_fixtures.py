"""A small hand-made episode (transcript + analysis) shared by the show notes, naming and Podcasting 2.0 tests."""

from __future__ import annotations

from pathlib import Path

from podpipe.domain import Analysis, Episode, Mention, Quote, Role, Segment, Speaker, Theme, Transcript

TURNS = [
    (
        "SPEAKER_00",
        0.0,
        12.0,
        "Welkom bij de VOV-podcast. Vandaag praten we over microleren en over het meten van impact.",
    ),
    (
        "SPEAKER_01",
        12.5,
        30.0,
        ("Microleren wordt vaak verkeerd begrepen door organisaties die hun opleidingen gewoon in stukjes knippen. "
        "Een korte checklist op het juiste moment werkt beter dan een lange e-learning."),
    ),
    ("SPEAKER_00", 30.5, 36.0, "Bram, hoe meet ge dan of microleren iets oplevert?"),
    (
        "SPEAKER_02",
        36.5,
        60.0,
        ("Een happy sheet vertelt vooral of de broodjes lekker waren. "
        "De meeste organisaties zitten op een berg data die niemand in L&D bekijkt. <script>alert('x')</script> & co."),
    ),
    (
        "SPEAKER_01",
        60.5,
        80.0,
        ("Data zonder gesprek is gewoon een dashboard dat niemand opent. "
        "Cijfers zijn het begin van het gesprek en niet het einde ervan."),
    ),
]


def transcript(named: bool = True, metadata: dict | None = None) -> Transcript:
    segments = [Segment(start=s, end=e, text=t, speaker=sp) for sp, s, e, t in TURNS]
    speakers = (
        [
            Speaker("SPEAKER_00", "Walter Schroven", "VOV", Role.HOST),
            Speaker("SPEAKER_01", "Ellen Verhaegen", "Leerkorrel", Role.GUEST),
            Speaker("SPEAKER_02", "Bram Goossens", "Kompaswerk", Role.GUEST),
        ]
        if named
        else [Speaker("SPEAKER_00"), Speaker("SPEAKER_01"), Speaker("SPEAKER_02")]
    )
    episode = Episode(
        id="0" * 64,
        slug="ep-test",
        source=Path("ep-test.mp3"),
        duration=80.0,
        number=12,
        title="Testaflevering",
        metadata=dict(metadata or {}),
    )
    return Transcript(episode=episode, segments=segments, language="nl", speakers=speakers)


def analysis(people: list[Mention] | None = None) -> Analysis:
    return Analysis(
        themes=[
            Theme(
                heading="Microleren en checklist",
                keyphrases=["microleren", "checklist", "e-learning"],
                start=12.5,
                end=30.0,
                segment_ids=[1],
            ),
            Theme(
                heading="Happy sheet en data",
                keyphrases=["happy sheet", "data", "dashboard"],
                start=30.5,
                end=80.0,
                segment_ids=[2, 3, 4],
            ),
        ],
        quotes=[
            Quote(
                "SPEAKER_01",
                "Een korte checklist op het juiste moment werkt beter dan een lange e-learning.",
                20.0,
                30.0,
                0,
            ),
            Quote(
                "SPEAKER_02",
                "De meeste organisaties zitten op een berg data die niemand in L&D bekijkt. "
                "<script>alert('x')</script>",
                45.0,
                58.0,
                1,
            ),
            Quote(
                "SPEAKER_01", "Data zonder gesprek is gewoon een dashboard dat niemand opent.", 60.5, 66.0, 1
            ),
        ],
        people=people or [],
    )
