"""Reading a model config out of a ``.keras`` file or a JSON file, safely.

A ``.keras`` file is a zip holding ``config.json`` (plus weights we never
touch). It is read in place: nothing is extracted or written. Only the
central directory and the one ``config.json`` entry are read, decompressed
as a stream that stops past the size limit, so a zip bomb or an entry that
declares 2 GB costs no more memory than the limit. An archive with
path-traversal or absolute entry names is refused outright: whatever reads
it next might extract it.
"""

from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass

from graphmask.spec.loader import read_text
from graphmask.spec.yaml_loader import Limits, YamlLoadError, limit_hint

CONFIG_ENTRY = "config.json"
MAX_ENTRIES = 100_000
# A deflated entry expands at most ~1032x; beyond this ratio it was built to explode.
MAX_RATIO = 200


@dataclass(frozen=True)
class ModelText:
    text: str
    file: str  # what diagnostics name: `model.keras:config.json`, or the JSON file's path


def is_model_file(path: str) -> bool:
    return path.endswith((".keras", ".json"))


def read_model_text(path: str | os.PathLike, limits: Limits = Limits()) -> ModelText:
    """The config text of a ``.keras`` or JSON file; ``YamlLoadError`` (GM101) when refused."""
    path = os.fspath(path)
    if path.endswith(".json"):
        return ModelText(read_text(path, limits), path)
    return ModelText(_read_archive(path, limits), f"{path}:{CONFIG_ENTRY}")


def _read_archive(path: str, limits: Limits) -> str:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with open(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise YamlLoadError("not a regular file (a FIFO, socket or device?)")
            try:
                with zipfile.ZipFile(handle) as archive:
                    raw = _config_bytes(archive, limits)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, ValueError) as exc:
                raise YamlLoadError(f"not a readable .keras file (a zip holding {CONFIG_ENTRY}): {exc}") from None
    except OSError as exc:
        raise YamlLoadError(f"cannot read file: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise YamlLoadError(f"{CONFIG_ENTRY} is not UTF-8 text") from None


def _config_bytes(archive: zipfile.ZipFile, limits: Limits) -> bytes:
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        raise YamlLoadError(f"the archive has {len(entries)} entries, more than a .keras file ({MAX_ENTRIES})")
    for info in entries:
        name = info.filename.replace("\\", "/")
        if name.startswith("/") or ".." in name.split("/") or (len(name) > 1 and name[1] == ":"):
            raise YamlLoadError(f"the archive has an entry named {info.filename!r}, which points outside it "
                                "(path traversal); refused, nothing was extracted",
                                hint="a file Keras saved never has such entries; do not unpack this one")
    configs = [info for info in entries if info.filename == CONFIG_ENTRY]
    if not configs:
        raise YamlLoadError(f"the archive has no {CONFIG_ENTRY}; a .keras file saved by Keras 3 has one")
    if len(configs) > 1:
        raise YamlLoadError(f"the archive has {len(configs)} entries named {CONFIG_ENTRY}; which one a reader "
                            "takes is ambiguous, so it is refused")
    info = configs[0]
    if info.file_size > limits.max_bytes:
        raise YamlLoadError(f"{CONFIG_ENTRY} declares {info.file_size} bytes, over the limit of {limits.max_bytes}",
                            hint=limit_hint("--max-bytes"))
    if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 1 << 20:
        raise YamlLoadError(f"{CONFIG_ENTRY} expands {info.file_size // info.compress_size}x (a zip bomb?); refused")
    with archive.open(info) as stream:
        raw = stream.read(limits.max_bytes + 1)  # a lying header cannot make this read more
    if len(raw) > limits.max_bytes:
        raise YamlLoadError(f"{CONFIG_ENTRY} is over the limit of {limits.max_bytes} bytes",
                            hint=limit_hint("--max-bytes"))
    return raw
