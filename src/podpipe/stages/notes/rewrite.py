"""Optional: headings and paraphrases rewritten by an OpenAI-compatible chat endpoint.

Off by default (``shownotes.rewrite.enabled``). Quotes, the intro's names and times are never sent
back into the notes from the model: only section headings and paragraphs are replaced, and only when
the answer has exactly the shape asked for. Any error keeps the extractive draft.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import replace

import httpx

from podpipe.config import Rewrite
from podpipe.domain import ShowNotes, Transcript

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "Je bent eindredacteur van shownotes voor een Nederlandstalige podcast. Je krijgt per sectie een kop en "
    "alinea's die uit de transcriptie zijn samengesteld. Herschrijf elke kop als een korte vraag in de stijl "
    "'Loopbaancheques: hulp of verdienmodel?' en herschrijf de alinea's tot twee tot vier vlotte zinnen in de "
    "derde persoon ('Volgens Ellen ...'). Verzin niets: geen nieuwe feiten, namen of cijfers. Antwoord enkel "
    'met JSON: {"sections": [{"heading": "...", "paragraphs": ["..."]}]}, evenveel secties als gegeven.'
)


def rewrite_show_notes(
    notes: ShowNotes,
    transcript: Transcript,
    config: Rewrite,
    *,
    transport: httpx.BaseTransport | None = None,
) -> ShowNotes:
    payload = {
        "sections": [
            {"heading": s.heading, "paragraphs": s.paragraphs, "keyphrases": s.keyphrases}
            for s in notes.sections
        ]
    }
    headers = {"Content-Type": "application/json"}
    key = os.environ.get(config.api_key_env)
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = {
        "model": config.model,
        "temperature": config.temperature,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": json.dumps(payload, ensure_ascii=False)},
        ],
    }
    try:
        with httpx.Client(
            base_url=config.base_url.rstrip("/") + "/", timeout=config.timeout_seconds, transport=transport
        ) as client:
            response = client.post("chat/completions", json=request, headers=headers)
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"]
        sections = _parse(content, len(notes.sections))
    except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as error:
        log.warning("show notes rewrite failed, keeping the extractive draft: %s", error)
        return notes
    return replace(
        notes,
        sections=[
            replace(section, heading=heading, paragraphs=paragraphs)
            for section, (heading, paragraphs) in zip(notes.sections, sections, strict=True)
        ],
    )


def _parse(content: str, expected: int) -> list[tuple[str, list[str]]]:
    text = content.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    data = json.loads(text)
    sections = data["sections"]
    if not isinstance(sections, list) or len(sections) != expected:
        raise ValueError(
            f"expected {expected} sections, got {len(sections) if isinstance(sections, list) else '?'}"
        )
    result = []
    for section in sections:
        heading = " ".join(str(section["heading"]).split())
        paragraphs = [" ".join(str(p).split()) for p in section["paragraphs"] if str(p).strip()]
        if not heading or not paragraphs or len(heading) > 200 or sum(map(len, paragraphs)) > 3000:
            raise ValueError("a rewritten section is empty or too long")
        result.append((heading, paragraphs))
    return result
