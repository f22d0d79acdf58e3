"""Speaker diarisation internals: the pyannote import guard and the CAM++ speaker embedding.

The stage functions live in :mod:`podpipe.diarize` (audio -> speaker turns) and
:mod:`podpipe.speakers` (words x turns -> speaker segments).
"""
