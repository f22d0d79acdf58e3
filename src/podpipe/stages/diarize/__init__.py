"""Speaker diarisation internals: the pyannote import guard and the CAM++ speaker embedding.

The stage functions live in :mod:`podpipe.stages.diarize.stage` (audio -> speaker turns) and
:mod:`podpipe.stages.attribute` (words x turns -> speaker segments).
"""
