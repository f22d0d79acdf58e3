"""The NLP analysis stage: themes, verbatim quotes, people and organisations of a Dutch transcript.

Public API::

    from podpipe.cast import described
    from podpipe.stages.analyse import analyse, load_transcript_any
    transcript = described(load_transcript_any(path), settings)  # the episode's cast, once
    analysis = analyse(transcript, settings.analysis_config())

``analysis.json`` is the Analysis through :data:`podpipe.io.ANALYSIS`, written by
:func:`podpipe.pipeline.export`.
"""

from podpipe.stages.analyse.analysis import analyse
from podpipe.stages.analyse.loader import load_transcript_any, transcript_from_turns

__all__ = ["analyse", "load_transcript_any", "transcript_from_turns"]
