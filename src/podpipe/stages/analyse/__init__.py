"""The NLP analysis stage: themes, verbatim quotes, people and organisations of a Dutch transcript.

Public API::

    from podpipe.stages.analyse import analyse, load_transcript_any
    analysis = analyse(load_transcript_any(path), settings)

``analysis.json`` is the Analysis through :data:`podpipe.io.ANALYSIS`, written by
:func:`podpipe.pipeline.export`.
"""

from podpipe.stages.analyse.analysis import analyse
from podpipe.stages.analyse.loader import load_transcript_any, transcript_from_turns

__all__ = ["analyse", "load_transcript_any", "transcript_from_turns"]
