"""Diarisation: who spoke when.

``stage`` runs pyannote's pipeline on the normalised audio; ``loading`` wires it once per process
from the weights of :mod:`podpipe.models.diarize`; ``pipeline`` and ``clustering``/``counting`` are
podpipe's changes to pyannote's speaker-diarisation pipeline (embeddings from shared CAM++ frames,
a speaker count that holds on real voices); ``campplus`` wraps CAM++ as a pyannote embedding;
``runtime`` makes pyannote importable on a CPU-only torch; ``annotations`` converts turns to and
from pyannote ``Annotation``s. Words meet turns in :mod:`podpipe.stages.attribute`.
"""
