"""The vocabulary of a catalog entry's ``cudnn``: when Keras runs an RNN on the fused cuDNN kernel.

An entry that has ``cudnn`` is a recurrent layer Keras may run on cuDNN
(LSTM, GRU); ``args`` lists, per constructor argument, the test Keras
applies to it.  Source (Keras 3.15): ``keras/src/layers/rnn/lstm.py`` /
``gru.py`` ``inner_loop`` tries ``backend.lstm``/``backend.gru`` only when
``use_cudnn in ("auto", True)`` and ``not recurrent_dropout``;
``keras/src/backend/tensorflow/rnn.py`` ``cudnn_ok`` then requires
activation tanh, recurrent_activation sigmoid, ``not unroll``, ``use_bias``
(and ``reset_after`` for GRU) and a visible GPU. At run time the mask (if
any) must be right-padded with no fully masked sequence, otherwise the
kernel's assertion fails (``_assert_valid_mask``).

Tests, as Keras writes them:

``in``      ``value in allowed`` (Python's ``in``: ``1 in ("auto", True)`` holds)
``falsy``   ``not value``
``truthy``  ``bool(value)``
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

TESTS = ("in", "falsy", "truthy")


@dataclass(frozen=True)
class ArgRule:
    """Argument ``arg`` (``default`` when omitted) must pass ``test``."""

    arg: str
    test: str
    default: Any
    why: str
    allowed: tuple = ()  # for the ``in`` test

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "ArgRule":
        if d["test"] not in TESTS:
            raise ValueError(f"unknown cuDNN argument test {d['test']!r}")
        return cls(d["arg"], d["test"], d.get("default"), d["why"], tuple(d.get("allowed", ())))

    def ok(self, value: Any) -> bool:
        if self.test == "falsy":
            return not value
        if self.test == "truthy":
            return bool(value)
        try:
            return value in self.allowed
        except TypeError:  # an unhashable or incomparable value is not one Keras accepts
            return False

    @property
    def needed(self) -> str:
        if self.test == "in":
            return " or ".join(repr(v) for v in self.allowed)
        return "a false value" if self.test == "falsy" else "a true value"


@dataclass(frozen=True)
class Blocker:
    """One argument that rules out cuDNN: its value and what cuDNN needs."""

    arg: str
    value: Any
    needed: str
    why: str

    def __str__(self) -> str:
        return f"{self.arg}={self.value!r} (cuDNN needs {self.needed}: {self.why})"


@dataclass(frozen=True)
class CudnnRule:
    args: tuple[ArgRule, ...]
    runtime_conditions: tuple[str, ...] = ()  # conditions on the data, for messages and docs

    @classmethod
    def from_json(cls, d: Mapping[str, Any] | None) -> "CudnnRule | None":
        if d is None:
            return None
        return cls(tuple(ArgRule.from_json(a) for a in d["args"]), tuple(d.get("runtime_conditions", ())))

    def blockers(self, args: Mapping[str, Any]) -> list[Blocker]:
        """The arguments (defaults merged in by the caller, or here) that rule out cuDNN."""
        found = []
        for rule in self.args:
            value = args.get(rule.arg, rule.default)
            if not rule.ok(value):
                found.append(Blocker(rule.arg, value, rule.needed, rule.why))
        return found

    def eligible(self, args: Mapping[str, Any]) -> bool:
        """True when the arguments allow cuDNN (the data conditions still apply)."""
        return not self.blockers(args)
