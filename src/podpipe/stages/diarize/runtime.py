"""Import pyannote.audio safely: telemetry off, and a CPU-only torch beside PyPI's torchaudio.

pyannote.audio 4 imports ``torchaudio`` at module level (``core/io.py`` for resampling,
``torchaudio.compliance.kaldi`` for filterbanks). It uses only torchaudio's pure-PyTorch parts.
PyPI's torchaudio wheels for Linux x86-64 (2.8 to 2.11) ship a C++ extension linked against CUDA
(``libc10_cuda.so``, ``libcudart.so.12``); beside the CPU build of torch, ``import torchaudio``
then fails with ``OSError: ... libc10_cuda.so``. torchaudio itself treats an absent extension
as "not available" (``torchaudio._extension.utils._load_lib``: missing library -> ``False``) and
falls back to its Python code paths; :func:`import_torchaudio` gives it that state without
touching the installed files, and only when the extension really cannot load.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import types

log = logging.getLogger(__name__)

_lock = threading.Lock()
_prepared = False
TORCHAUDIO_MODE: str | None = None  # "extension" or "python-only" once imported


def disable_telemetry() -> None:
    """pyannote.audio 4 reports model and pipeline use over OTLP unless told not to.

    Set (not setdefault): whatever the environment said, no byte leaves the machine. The variable
    must be set before pyannote.audio is imported, and is checked again on every call.
    """
    os.environ["PYANNOTE_METRICS_ENABLED"] = "false"
    if "pyannote.audio.telemetry" in sys.modules:
        from pyannote.audio.telemetry import set_telemetry_metrics

        set_telemetry_metrics(False)


def import_torchaudio() -> str:
    """Import torchaudio; if its compiled extension cannot load (CUDA build beside CPU torch),
    import it in pure-Python mode. Returns "extension" or "python-only"."""
    global TORCHAUDIO_MODE
    if TORCHAUDIO_MODE is not None:
        return TORCHAUDIO_MODE
    try:
        import torchaudio

        TORCHAUDIO_MODE = "extension"
    except OSError as error:
        log.info("torchaudio's compiled extension does not load (%s); using its Python code only", error)
        for name in [n for n in sys.modules if n == "torchaudio" or n.startswith("torchaudio.")]:
            del sys.modules[name]
        sys.modules["torchaudio._extension"] = _python_only_extension()
        import torchaudio  # noqa: F401

        TORCHAUDIO_MODE = "python-only"
    return TORCHAUDIO_MODE


def _python_only_extension() -> types.ModuleType:
    """What ``torchaudio._extension`` looks like when no compiled library is installed."""

    def _load_lib(lib: str) -> bool:
        return False

    def _unavailable(*args: object, **kwargs: object) -> None:
        raise RuntimeError("torchaudio's compiled extension is not available with this CPU-only torch")

    def fail_if_no_align(func):  # decorator used by torchaudio.functional.forced_align
        def wrapped(*args: object, **kwargs: object):
            _unavailable()

        return wrapped

    module = types.ModuleType("torchaudio._extension")
    module.__doc__ = "podpipe: torchaudio without its compiled extension (CPU-only torch)."
    module.__dict__.update(
        _IS_TORCHAUDIO_EXT_AVAILABLE=False,
        _IS_ALIGN_AVAILABLE=False,
        _load_lib=_load_lib,
        _check_cuda_version=lambda: None,
        fail_if_no_align=fail_if_no_align,
    )
    return module


def prepare_pyannote() -> None:
    """Call before the first ``import pyannote.audio``; cheap and idempotent afterwards."""
    global _prepared
    with _lock:
        disable_telemetry()
        if _prepared:
            return
        import_torchaudio()
        _prepared = True
