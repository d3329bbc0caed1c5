"""When Keras 3 (TensorFlow backend) runs an LSTM/GRU on the fused cuDNN kernel.

Data only, no TensorFlow: the static GM401 pass and the Keras backend
(``graphmask/keras/cudnn.py``) both read these rules, so they cannot drift.

Source (Keras 3.15): ``keras/src/layers/rnn/lstm.py`` / ``gru.py``
``inner_loop`` tries ``backend.lstm``/``backend.gru`` only when
``use_cudnn in ("auto", True)`` and ``not recurrent_dropout``;
``keras/src/backend/tensorflow/rnn.py`` ``cudnn_ok`` then requires
activation tanh, recurrent_activation sigmoid, ``not unroll``, ``use_bias``
(and ``reset_after`` for GRU) and a visible GPU. At run time the mask (if
any) must be right-padded with no fully masked sequence, otherwise the
kernel's assertion fails (``_assert_valid_mask``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True)
class ArgRule:
    """Argument ``arg`` must have one of ``allowed`` (``default`` when omitted)."""

    arg: str
    allowed: tuple
    default: Any
    why: str

    def ok(self, value: Any) -> bool:
        # bools compare by identity so that `1` is not taken for `True`
        return any(isinstance(value, bool) == isinstance(a, bool) and value == a for a in self.allowed)


_COMMON = (
    ArgRule("activation", ("tanh",), "tanh", "cuDNN implements only tanh"),
    ArgRule("recurrent_activation", ("sigmoid",), "sigmoid", "cuDNN implements only sigmoid gates"),
    ArgRule("recurrent_dropout", (0, 0.0), 0.0, "recurrent dropout is not in the fused kernel"),
    ArgRule("unroll", (False,), False, "an unrolled RNN is a Python loop, not the fused kernel"),
    ArgRule("use_bias", (True,), True, "the fused kernel always has a bias"),
    ArgRule("use_cudnn", ("auto", True), "auto", "cuDNN is switched off explicitly"),
)

CUDNN_ARG_RULES: dict[str, tuple[ArgRule, ...]] = {
    "LSTM": _COMMON,
    "GRU": _COMMON + (ArgRule("reset_after", (True,), True, "cuDNN's GRU applies the reset gate after"),),
}

# Conditions on the data, not the arguments (for messages and docs).
RUNTIME_CONDITIONS = (
    "a GPU is visible to TensorFlow",
    "the mask, if any, is right-padded (True...True False...False) with no fully masked sample",
)


@dataclass(frozen=True)
class Blocker:
    """One argument that rules out cuDNN: its value and what cuDNN needs."""

    arg: str
    value: Any
    needed: tuple
    why: str

    def __str__(self) -> str:
        needed = " or ".join(repr(v) for v in self.needed)
        return f"{self.arg}={self.value!r} (cuDNN needs {needed}: {self.why})"


def cudnn_blockers(layer_type: str, args: Mapping[str, Any]) -> list[Blocker] | None:
    """Arguments of an ``LSTM``/``GRU`` that rule out cuDNN; None for other types."""
    rules = CUDNN_ARG_RULES.get(layer_type)
    if rules is None:
        return None
    blockers = []
    for rule in rules:
        value = args.get(rule.arg, rule.default)
        if not rule.ok(value):
            blockers.append(Blocker(rule.arg, value, rule.allowed, rule.why))
    return blockers


def cudnn_eligible(layer_type: str, args: Mapping[str, Any]) -> bool:
    """True when the arguments allow cuDNN (the data conditions still apply)."""
    return cudnn_blockers(layer_type, args) == []
