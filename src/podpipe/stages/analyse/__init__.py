"""The NLP analysis stage: themes, verbatim quotes, people and organisations of a Dutch transcript.

Public API::

    from podpipe.stages.analyse import analyse, load_transcript_any, write_analysis
    analysis = analyse(load_transcript_any(path), settings)
    write_analysis(out_dir / "analysis.json", analysis)
"""

from podpipe.stages.analyse.analysis import analyse, analyse_file
from podpipe.stages.analyse.loader import load_transcript_any, transcript_from_turns
from podpipe.models.nlp import load_embedder, load_nlp
from podpipe.stages.analyse.serialize import analysis_from_dict, analysis_to_dict, read_analysis, write_analysis
from podpipe.stages.analyse.settings import Nlp, nlp_settings

__all__ = [
    "Nlp",
    "analyse",
    "analyse_file",
    "analysis_from_dict",
    "analysis_to_dict",
    "load_embedder",
    "load_nlp",
    "load_transcript_any",
    "nlp_settings",
    "read_analysis",
    "transcript_from_turns",
    "write_analysis",
]
