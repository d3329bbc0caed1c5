"""A collection of real, public Keras models, shrunk to run fast on a CPU.

Each entry is a ``RealModel``: ``build()`` returns an uncompiled
``keras.Model`` that keeps the structure of its source (layer types and
arguments that matter for masks, how tensors are combined, which inputs are
padded and how) and shrinks only sizes (vocabulary, units, lengths).
``source`` cites where the code comes from and says what was kept and what
was shrunk; ``padding`` says, in words, which inputs are padded and how;
``inputs`` describes each model input so that ``sample()`` can make a padded
batch (and the same batch with extra padding, for the behaviour probe).

The modules below register their models with ``@real_model``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

BATCH = 3
TIME = 6  # time steps of a variable-length sample before extra padding
LENGTHS = (6, 4, 2)  # valid steps per sample (the first sample is unpadded)


@dataclass(frozen=True)
class Seq:
    """One model input, in the order of ``model.inputs``.

    ``kind``: ``ids`` (integer token ids below ``size``), ``values`` (floats,
    ``size`` features) or ``onehot`` (one-hot over ``size`` symbols; the pad is
    the one-hot of symbol ``pad``).  ``side``: ``post`` / ``pre`` padding,
    ``mid`` (steps 3 and 5 hold the pad value: missing data, not padding at an
    end) or ``none`` (not padded).  ``length``: a fixed time length, or None
    for a ``(None, ...)`` input whose length the probe can grow.
    """

    kind: str
    size: int
    pad: float = 0
    side: str = "post"
    length: int | None = None
    dtype: str = "int32"

    @property
    def padded(self) -> bool:
        return self.side != "none"


@dataclass(frozen=True)
class RealModel:
    name: str
    build: Callable[[], object]
    source: str
    padding: str
    inputs: tuple[Seq, ...]
    tags: frozenset[str] = field(default_factory=frozenset)

    def sample(self, extra: int = 0, only: int | None = None, seed: int = 0) -> list[np.ndarray]:
        """A padded batch, one array per input; ``extra`` more pad steps on input ``only`` (or on all)."""
        rng = np.random.default_rng(seed)
        return [_sample(seq, rng, extra if only in (None, k) else 0) for k, seq in enumerate(self.inputs)]

    def lengths(self, k: int) -> list[int]:
        """Valid steps per sample of input ``k``."""
        seq = self.inputs[k]
        time = seq.length or TIME
        return [time - (TIME - n) for n in LENGTHS] if seq.side in ("post", "pre") else [time] * BATCH


def _sample(seq: Seq, rng: np.random.Generator, extra: int) -> np.ndarray:
    """The batch, then ``extra`` pad steps added on the padded side: the same valid steps either way.

    (Drawing the longer batch afresh would draw other tokens: with one seed, a
    larger array takes different random numbers, so every model "changed".)
    """
    time = seq.length or TIME
    extra = extra if seq.length is None and seq.padded else 0
    if seq.kind == "ids":
        data = rng.integers(1, seq.size, size=(BATCH, time))
        data[data == seq.pad] = 1 if seq.pad != 1 else 2  # real tokens never equal the pad id
    elif seq.kind == "onehot":
        symbols = rng.integers(0, seq.size, size=(BATCH, time))
        symbols[symbols == seq.pad] = (seq.pad + 1) % seq.size
        data = np.eye(seq.size)[symbols]
    else:
        data = rng.normal(size=(BATCH, time, seq.size)) + 2.0  # never equal to a 0 pad
    if seq.padded:
        fill = np.eye(seq.size)[int(seq.pad)] if seq.kind == "onehot" else seq.pad
        for b, n in enumerate(LENGTHS):
            n = time - (TIME - n)
            if seq.side == "post":
                data[b, n:] = fill
            elif seq.side == "pre":
                data[b, : time - n] = fill
            elif seq.side == "mid":
                data[b, [3, 5]] = fill
        if extra:
            pad = np.empty((BATCH, extra) + data.shape[2:], dtype=data.dtype)
            pad[...] = fill
            data = np.concatenate([pad, data] if seq.side == "pre" else [data, pad], axis=1)
    return data.astype(seq.dtype if seq.kind == "ids" else "float32")


MODELS: dict[str, RealModel] = {}


def real_model(name: str, *, source: str, padding: str, inputs: tuple[Seq, ...], tags: tuple[str, ...] = ()):
    """Register ``build`` under ``name``."""

    def register(build: Callable[[], object]) -> Callable[[], object]:
        if name in MODELS:
            raise ValueError(f"model {name!r} registered twice")
        MODELS[name] = RealModel(name, build, source.strip(), padding.strip(), inputs, frozenset(tags))
        return build

    return register


def load_all() -> dict[str, RealModel]:
    """Import every collection module (registering its models) and return the registry."""
    from tests.realworld.models import guides, issues, keras_io, layer_docs  # noqa: F401

    return MODELS
