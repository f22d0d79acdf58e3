"""What a stage runs, as one digest for its cache key.

The digest covers every podpipe module the stage imports, directly or through others (grimp's import
graph, the one import-linter checks the layers on; function-local imports count), the packages those
modules sit in (importing a module runs its packages' ``__init__``), and the model assets it ships
with. So editing ``models/diarize.py`` redoes diarisation, though the file is not under
``stages/diarize/``; editing the review app or the notes redoes nothing.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from types import ModuleType

import grimp

import podpipe

PACKAGE = "podpipe"
PACKAGE_DIR = Path(podpipe.__file__).resolve().parent


@cache
def import_graph() -> grimp.ImportGraph:
    """podpipe's own import graph, built once per process (a second or less; no cache folder)."""
    return grimp.build_graph(PACKAGE, include_external_packages=False, cache_dir=None)


def imported_modules(entry: str, graph: grimp.ImportGraph) -> set[str]:
    """``entry`` and every podpipe module it imports, with their parent packages. A package counts
    with every module under it."""
    as_package = bool(graph.find_children(entry))
    names = {entry} | graph.find_upstream_modules(entry, as_package=as_package)
    if as_package:
        names |= graph.find_descendants(entry)
    parents = {".".join(name.split(".")[:depth]) for name in names for depth in range(1, name.count(".") + 1)}
    return names | parents


def module_file(name: str, package_dir: Path = PACKAGE_DIR) -> Path:
    """The source file of podpipe module ``name`` (``podpipe.stages.diarize`` -> its ``__init__.py``)."""
    path = package_dir.joinpath(*name.split(".")[1:])
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


@cache
def stage_fingerprint(*parts: ModuleType | Path) -> str:
    """:func:`code_digest` of the installed podpipe, once per process for each stage."""
    return code_digest(parts, import_graph())


def code_digest(parts: tuple[ModuleType | Path, ...], graph: grimp.ImportGraph,
                package_dir: Path = PACKAGE_DIR) -> str:
    """A digest of the code a stage runs and the model assets it ships with: the modules ``parts``
    names and everything they import from podpipe (their files read under ``package_dir``), and each
    ``Path`` part (a file, or every file of a folder). Change a byte in any of them and it changes."""
    modules: set[str] = set()
    assets: list[Path] = []
    for part in parts:
        if isinstance(part, ModuleType):
            modules |= imported_modules(part.__name__, graph)
        else:
            assets.append(part)
    digest = hashlib.sha256(podpipe.__version__.encode())
    for name in sorted(modules):
        digest.update(name.encode())
        digest.update(module_file(name, package_dir).read_bytes())
    for asset in assets:
        files = sorted(f for f in asset.rglob("*") if f.is_file() and "__pycache__" not in f.parts) \
            if asset.is_dir() else [asset]
        for file in files:
            digest.update(file.relative_to(asset.parent).as_posix().encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]
