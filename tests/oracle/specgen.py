"""Seeded generator of random, valid, Keras-buildable graphmask specs.

The generator tracks every tensor's per-sample shape twice: the static shape
Keras sees at build time (``None`` where unknown) and the shape it will have
when the model runs on the oracle's batch (``RUN_LENGTH`` steps for a ``null``
time axis).  A layer is only applied to tensors it can take, so every spec
builds and runs.  It knows nothing about masks: which tensors carry one is
what the oracle finds out.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Callable

import yaml

RUN_LENGTH = 6  # runtime length of a `null` time axis (the oracle's batch uses it)

RNNS = ("LSTM", "GRU", "SimpleRNN")
N_STATES = {"LSTM": 2, "GRU": 1, "SimpleRNN": 1}
ELEMENTWISE = ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")
# Arguments that keep an LSTM/GRU off cuDNN (GM401), and the default that keeps it on.
_COMMON_BLOCKERS = [("activation", "relu"), ("recurrent_activation", "hard_sigmoid"), ("use_bias", False),
                    ("recurrent_dropout", 0.2), ("use_cudnn", False), ("use_cudnn", "auto")]
CUDNN_BLOCKERS = {"LSTM": _COMMON_BLOCKERS, "GRU": _COMMON_BLOCKERS + [("reset_after", False)]}
OPS = ("add", "multiply", "tanh", "cast")  # keras.ops calls: binary, with a scalar, unary, returns its input
SHAREABLE = ("Dense", "Conv1D", "LayerNormalization", "Embedding", "TimeDistributed") + RNNS


@dataclass(frozen=True)
class Tensor:
    ref: str
    static: tuple  # per-sample shape as Keras sees it when building; None = unknown
    run: tuple  # per-sample shape when the model runs
    ids: bool = False  # integer token ids
    vocab: int = 0

    @property
    def rank(self) -> int:  # without the batch axis
        return len(self.run)

    @property
    def usable(self) -> bool:
        """Layers with weights need a known last axis (attention scores have none)."""
        return self.ids or self.static[-1] is not None


@dataclass
class _LayerRecord:
    id: str
    type: str
    source: Tensor | None  # the single input, for layers that can be shared
    outputs: list[Tensor] = field(default_factory=list)


def _join(a, b):
    """Static dim of an element-wise merge: unknown if either side is."""
    return a if a == b else None


def _compatible(a: Tensor, b: Tensor, skip_axis: int | None = None) -> bool:
    if a.rank != b.rank or a.ids or b.ids:
        return False
    for axis, (ra, rb, sa, sb) in enumerate(zip(a.run, b.run, a.static, b.static)):
        if axis == skip_axis:
            continue
        if ra != rb or (sa is not None and sb is not None and sa != sb):
            return False
    return True


class SpecGenerator:
    """``SpecGenerator(seed).spec()`` -> a spec as a dict (``yaml_text`` for YAML)."""

    def __init__(self, seed: int, max_layers: int = 8):
        self.rng = random.Random(seed)
        self.seed = seed
        self.max_layers = max_layers
        self.inputs: dict[str, dict] = {}
        self.layers: list[dict] = []
        self.tensors: list[Tensor] = []
        self.used: set[str] = set()
        self.records: list[_LayerRecord] = []
        self.forced: Tensor | None = None  # while set, ops may only pick this tensor
        self.ops: list[tuple[Callable[[], bool], int]] = [
            (self._dense, 6), (self._same_shape, 6), (self._conv1d, 3), (self._pool1d, 2),
            (self._global_pool, 3), (self._flatten, 1), (self._reshape, 2), (self._repeat_vector, 2),
            (self._rnn, 7), (self._bidirectional, 4), (self._time_distributed, 2), (self._masking, 3),
            (self._elementwise, 7), (self._concatenate, 5), (self._dot, 1), (self._attention, 4),
            (self._mha, 4), (self._share, 3), (self._embedding, 2),
            # what the findings oracle needs (tests/oracle/findings.py)
            (self._op_node, 4), (self._multi_hop, 2), (self._seq2seq, 2), (self._concat_time_rnn, 2),
        ]

    # ------------------------------------------------------------ helpers
    def _new_id(self, type_name: str) -> str:
        # `n<k>_...`: never equal to a name Keras gives its own ops (`concatenate_5`)
        return f"n{len(self.layers)}_{type_name.lower()}"

    def _pick(self, ok: Callable[[Tensor], bool]) -> Tensor | None:
        """A tensor satisfying ``ok``; recent and unused tensors are likelier (deep graphs)."""
        if self.forced is not None:
            return self.forced if self.forced.usable and ok(self.forced) else None
        found = [(i, t) for i, t in enumerate(self.tensors) if t.usable and ok(t)]
        if not found:
            return None
        weights = [(1 + i) * (3 if t.ref not in self.used else 1) for i, t in found]
        return self.rng.choices([t for _, t in found], weights=weights)[0]

    def _add(self, type_name: str, args: dict, inputs: Any, outputs: list[tuple[tuple, tuple]],
             call: dict | None = None, source: Tensor | None = None, ids: bool = False,
             vocab: int = 0) -> list[Tensor]:
        node_id = self._new_id(type_name)
        layer: dict[str, Any] = {"id": node_id, "type": type_name}
        if args:
            layer["args"] = args
        layer["inputs"] = inputs
        if call:
            layer["call"] = call
        self.layers.append(layer)
        refs = [node_id] if len(outputs) == 1 else [f"{node_id}[{k}]" for k in range(len(outputs))]
        made = [Tensor(ref, static, run, ids, vocab) for ref, (static, run) in zip(refs, outputs)]
        self.tensors.extend(made)
        self.records.append(_LayerRecord(node_id, type_name, source, made))
        return made

    def _use(self, *tensors: Tensor) -> None:
        self.used.update(t.ref for t in tensors)

    def _single(self, type_name: str, args: dict, x: Tensor, static: tuple, run: tuple,
                call: dict | None = None, **kw) -> list[Tensor]:
        self._use(x)
        return self._add(type_name, args, x.ref, [(static, run)], call=call, source=x, **kw)

    def _float(self, min_rank: int = 1, max_rank: int = 2) -> Callable[[Tensor], bool]:
        return lambda t: not t.ids and min_rank <= t.rank <= max_rank

    def _seq(self, min_len: int = 1) -> Callable[[Tensor], bool]:
        return lambda t: not t.ids and t.rank == 2 and t.run[0] >= min_len

    # ------------------------------------------------------------ inputs
    def _make_input(self, index: int) -> None:
        name = f"in{index}"
        kind = self.rng.choice(["ids", "ids", "seq", "seq", "vec"])
        length = self.rng.choice([RUN_LENGTH, RUN_LENGTH, 4])
        declared = None if self.rng.random() < 0.4 and length == RUN_LENGTH else length
        spec: dict[str, Any] = {}
        if kind == "ids":
            spec = {"shape": [declared], "dtype": "int32"}
            static, run = (declared,), (length,)
        elif kind == "seq":
            features = self.rng.choice([2, 3, 4])
            spec = {"shape": [declared, features], "dtype": "float32"}
            static, run = (declared, features), (length, features)
        else:
            features = self.rng.choice([2, 3, 4])
            spec = {"shape": [features], "dtype": "float32"}
            static, run = (features,), (features,)
        if kind != "vec" and self.rng.random() < 0.6:
            # now and then a pad value a mask_zero/Masking default does not mask (GM206)
            other = self.rng.random() < 0.15
            spec["pad_value"] = (7 if other else 0) if kind == "ids" else (-1.0 if other else 0.0)
            if self.rng.random() < 0.3:
                spec["padding"] = "pre"
        self.inputs[name] = spec
        tensor = Tensor(name, static, run, ids=kind == "ids", vocab=20 if kind == "ids" else 0)
        self.tensors.append(tensor)
        # Every input is consumed at once (Keras wants each input connected).
        if tensor.ids:
            if self.rng.random() < 0.1:
                self._masking_on(tensor)
            else:
                self._embedding_on(tensor)
        elif kind == "seq" and self.rng.random() < 0.5:
            self._masking_on(tensor)
        else:
            self.forced = tensor
            self._run_random_op()
            self.forced = None
            if tensor.ref not in self.used:
                self._dense_on(tensor)

    # ------------------------------------------------------------ layers
    def _dense_on(self, x: Tensor) -> None:
        units = self.rng.choice([2, 3, 4])
        self._single("Dense", {"units": units}, x, x.static[:-1] + (units,), x.run[:-1] + (units,))

    def _dense(self) -> bool:
        x = self._pick(self._float())
        if x is None:
            return False
        self._dense_on(x)
        return True

    def _same_shape(self) -> bool:
        x = self._pick(self._float())
        if x is None:
            return False
        type_name, args = self.rng.choice([
            ("Dropout", {"rate": 0.3}), ("LayerNormalization", {}),
            ("Activation", {"activation": "relu"}), ("Activation", {"activation": "tanh"}),
            ("Activation", {"activation": "linear"}),
        ])
        self._single(type_name, dict(args), x, x.static, x.run)
        return True

    def _conv1d(self) -> bool:
        x = self._pick(self._seq(3))
        if x is None:
            return False
        kernel = self.rng.choice([1, 2, 3])
        padding = self.rng.choice(["same", "valid", "causal"])
        filters = self.rng.choice([2, 3, 4])
        shrink = kernel - 1 if padding == "valid" else 0
        length = None if x.static[0] is None else x.static[0] - shrink
        self._single("Conv1D", {"filters": filters, "kernel_size": kernel, "padding": padding}, x,
                     (length, filters), (x.run[0] - shrink, filters))
        return True

    def _pool1d(self) -> bool:
        x = self._pick(self._seq(3))
        if x is None:
            return False
        padding = self.rng.choice(["valid", "same"])

        def pooled(n):
            return None if n is None else ((n - 2) // 2 + 1 if padding == "valid" else -(-n // 2))

        self._single("MaxPooling1D", {"pool_size": 2, "padding": padding}, x,
                     (pooled(x.static[0]), x.static[1]), (pooled(x.run[0]), x.run[1]))
        return True

    def _global_pool(self) -> bool:
        x = self._pick(self._seq())
        if x is None:
            return False
        type_name = self.rng.choice(["GlobalAveragePooling1D", "GlobalMaxPooling1D"])
        self._single(type_name, {}, x, x.static[1:], x.run[1:])
        return True

    def _flatten(self) -> bool:
        x = self._pick(lambda t: self._seq()(t) and t.static[0] is not None)
        if x is None:
            return False
        size = x.run[0] * x.run[1]
        self._single("Flatten", {}, x, (size,), (size,))
        return True

    def _reshape(self) -> bool:
        x = self._pick(lambda t: not t.ids and (t.rank == 1 or t.static[0] is not None) and t.rank <= 2)
        if x is None:
            return False
        if x.rank == 1:
            (features,) = x.run
            target = [features, 1] if features % 2 else [features // 2, 2]
            self._single("Reshape", {"target_shape": target}, x, tuple(target), tuple(target))
            return True
        length, features = x.run
        target, static = self.rng.choice([
            ([length * features], (length * features,)),
            ([-1, features], (length, features)),
            ([features, length], (features, length)),
        ])
        self._single("Reshape", {"target_shape": target}, x, static, static)
        return True

    def _repeat_vector(self) -> bool:
        x = self._pick(self._float(1, 1))
        if x is None:
            return False
        n = self.rng.choice([2, 3, 4])
        self._single("RepeatVector", {"n": n}, x, (n,) + x.static, (n,) + x.run)
        return True

    def _rnn_args(self, static_length: int | None = None) -> tuple[str, dict]:
        type_name = self.rng.choice(RNNS)
        args: dict[str, Any] = {"units": self.rng.choice([2, 3])}
        if self.rng.random() < 0.5:
            args["return_sequences"] = True
        if self.rng.random() < 0.25:
            args["return_state"] = True
        if type_name in CUDNN_BLOCKERS and self.rng.random() < 0.3:
            blockers = CUDNN_BLOCKERS[type_name] + ([("unroll", True)] if static_length else [])
            key, value = self.rng.choice(blockers)
            args[key] = value
        return type_name, args

    def _rnn(self) -> bool:
        x = self._pick(self._seq())
        if x is None:
            return False
        type_name, args = self._rnn_args(x.static[0])
        units = args["units"]
        seq = bool(args.get("return_sequences"))
        main = ((x.static[0], units), (x.run[0], units)) if seq else ((units,), (units,))
        states = [((units,), (units,))] * (N_STATES[type_name] if args.get("return_state") else 0)
        # A call keyword takes Keras off the path that binds the mask to the call.
        call = {"training": False} if self.rng.random() < 0.15 else None
        self._use(x)
        self._add(type_name, args, x.ref, [main] + states, call=call, source=x)
        return True

    def _bidirectional(self) -> bool:
        x = self._pick(self._seq())
        if x is None:
            return False
        type_name, inner = self._rnn_args(x.static[0])
        merge_mode = self.rng.choice(["concat", "concat", "sum", "mul", "ave", None])
        units = inner["units"]
        width = 2 * units if merge_mode == "concat" else units
        seq = bool(inner.get("return_sequences"))
        main = ((x.static[0], width), (x.run[0], width)) if seq else ((width,), (width,))
        if merge_mode is None:
            half = ((x.static[0], units), (x.run[0], units)) if seq else ((units,), (units,))
            mains = [half, half]
        else:
            mains = [main]
        states = [((units,), (units,))] * (2 * N_STATES[type_name] if inner.get("return_state") else 0)
        self._use(x)
        self._add("Bidirectional", {"layer": {"type": type_name, "args": inner}, "merge_mode": merge_mode},
                  x.ref, mains + states, source=x)
        return True

    def _time_distributed(self) -> bool:
        x = self._pick(self._seq())
        if x is None:
            return False
        units = self.rng.choice([2, 3])
        self._single("TimeDistributed", {"layer": {"type": "Dense", "args": {"units": units}}}, x,
                     (x.static[0], units), (x.run[0], units))
        return True

    def _masking_on(self, x: Tensor) -> None:
        value = 0 if x.ids else self.rng.choice([0.0, 0.0, 0.0, -1.0])
        self._single("Masking", {"mask_value": value}, x, x.static, x.run, ids=x.ids, vocab=x.vocab)

    # ------------------------------------------------------------ for the findings oracle
    def _op_node(self) -> bool:
        """A keras.ops call (``op:``): what ``x + y``, ``x * 0.5``, ``ops.tanh`` are in Keras code."""
        x = self._pick(self._float())
        if x is None:
            return False
        op = self.rng.choice(OPS)
        node: dict[str, Any] = {"id": self._new_id(f"op_{op}"), "op": op}
        inputs: Any = x.ref
        if op == "add":
            partners = self._partners(x, 1)
            if partners is None:
                return False
            inputs = [x.ref, partners[0].ref]
            self._use(partners[0])
        elif op == "multiply":
            node["args"] = {"x2": 0.5}
        elif op == "cast":
            node["args"] = {"dtype": "float32"}
        node["inputs"] = inputs
        self._use(x)
        self.layers.append(node)
        made = Tensor(node["id"], x.static, x.run)
        self.tensors.append(made)
        self.records.append(_LayerRecord(node["id"], "op", None, [made]))
        return True

    def _multi_hop(self) -> bool:
        """mask -> Dense -> Dropout -> RNN: a mask (or padding) carried over several layers."""
        x = self._pick(self._seq())
        if x is None:
            return False
        self._dense_on(x)
        dense = self.tensors[-1]
        self._single("Dropout", {"rate": 0.3}, dense, dense.static, dense.run)
        self.forced = self.tensors[-1]
        made = self._rnn()
        self.forced = None
        return made

    def _seq2seq(self) -> bool:
        """An encoder's states initialise a decoder: an RNN call with several tensors (GM208)."""
        x = self._pick(self._seq())
        y = self._pick(self._seq())
        if x is None or y is None:
            return False
        type_name = self.rng.choice(["LSTM", "GRU"])
        units = self.rng.choice([2, 3])
        n = N_STATES[type_name]
        encoder = self._add(type_name, {"units": units, "return_state": True}, x.ref,
                            [((units,), (units,))] * (1 + n), source=None)
        self._use(x, *encoder[1:])
        states = [t.ref for t in encoder[1:]]
        seq = self.rng.random() < 0.5
        args = {"units": units, "return_sequences": True} if seq else {"units": units}
        out = ((y.static[0], units), (y.run[0], units)) if seq else ((units,), (units,))
        if self.rng.random() < 0.5:
            inputs, call = {"sequences": y.ref, "initial_state": states}, None
        else:
            inputs, call = y.ref, {"initial_state": states}
        self._use(y)
        self._add(type_name, args, inputs, [out], call=call)
        return True

    def _concat_time_rnn(self) -> bool:
        """Sequences concatenated along time, then an RNN: padding between valid steps (GM402)."""
        x = self._pick(self._seq())
        if x is None:
            return False
        partners = self._partners(x, 1, skip_axis=0) or [x]
        group = [x, partners[0]]
        static = [None if any(t.static[0] is None for t in group) else sum(t.static[0] for t in group),
                  x.static[1]]
        run = [sum(t.run[0] for t in group), x.run[1]]
        self._use(*group)
        joined = self._add("Concatenate", {"axis": 1}, [t.ref for t in group], [(tuple(static), tuple(run))])[0]
        type_name = self.rng.choice(["LSTM", "GRU"])
        units = self.rng.choice([2, 3])
        self._single(type_name, {"units": units}, joined, (units,), (units,))
        return True

    def _masking(self) -> bool:
        # Mostly float sequences; rarely vectors or ids (the surprising cases).
        rare = self.rng.random() < 0.2
        x = self._pick(lambda t: (t.rank == 1 or t.ids) if rare else self._seq()(t))
        if x is None:
            return False
        self._masking_on(x)
        return True

    def _embedding_on(self, x: Tensor) -> None:
        dim = self.rng.choice([2, 3, 4])
        args = {"input_dim": x.vocab, "output_dim": dim, "mask_zero": self.rng.random() < 0.65}
        self._single("Embedding", args, x, x.static + (dim,), x.run + (dim,))

    def _embedding(self) -> bool:
        x = self._pick(lambda t: t.ids)
        if x is None:
            return False
        self._embedding_on(x)
        return True

    def _partners(self, x: Tensor, count: int, skip_axis: int | None = None) -> list[Tensor] | None:
        others = [t for t in self.tensors if t.usable and _compatible(x, t, skip_axis) and t is not x]
        if not others and self.rng.random() < 0.9:
            return None
        pool = others or [x]  # merging a tensor with itself is valid too
        return [self.rng.choice(pool) for _ in range(count)]

    def _elementwise(self) -> bool:
        x = self._pick(self._float())
        if x is None:
            return False
        type_name = self.rng.choice(ELEMENTWISE)
        count = 1 if type_name == "Subtract" or self.rng.random() < 0.8 else 2
        partners = self._partners(x, count)
        if partners is None:
            return False
        group = [x] + partners
        self.rng.shuffle(group)
        static = tuple(x.static)
        for t in group:
            static = tuple(_join(a, b) for a, b in zip(static, t.static))
        self._use(*group)
        self._add(type_name, {}, [t.ref for t in group], [(static, x.run)])
        return True

    def _concatenate(self) -> bool:
        x = self._pick(self._float())
        if x is None:
            return False
        axis = self.rng.choice([-1, 1])
        along = x.rank - 1 if axis == -1 else 0  # per-sample axis index
        partners = self._partners(x, 1 if self.rng.random() < 0.8 else 2, skip_axis=along)
        if partners is None:
            return False
        group = [x] + partners
        self.rng.shuffle(group)
        static, run = list(group[0].static), list(group[0].run)
        for t in group[1:]:
            static = [_join(a, b) for a, b in zip(static, t.static)]
        dims = [t.static[along] for t in group]
        static[along] = sum(dims) if all(d is not None for d in dims) else None
        run[along] = sum(t.run[along] for t in group)
        self._use(*group)
        self._add("Concatenate", {"axis": axis}, [t.ref for t in group], [(tuple(static), tuple(run))])
        return True

    def _dot(self) -> bool:
        x = self._pick(self._float())
        if x is None:
            return False
        if x.rank == 1:
            y = self._pick(lambda t: _compatible(x, t))
            out = ((1,), (1,))
            axes = 1
        else:
            y = self._pick(lambda t: self._seq()(t) and t.run[1] == x.run[1])
            out = ((x.static[0], y.static[0] if y else None), (x.run[0], y.run[0] if y else None))
            axes = 2
        if y is None:
            return False
        self._use(x, y)
        self._add("Dot", {"axes": axes}, [x.ref, y.ref], [out])
        return True

    def _attention(self) -> bool:
        q = self._pick(self._seq())
        if q is None:
            return False
        v = self._pick(lambda t: self._seq()(t) and t.run[1] == q.run[1])
        type_name = self.rng.choice(["Attention", "AdditiveAttention"])
        call = {}
        if self.rng.random() < 0.35:
            call["use_causal_mask"] = True
        outputs = [(q.static, q.run)]
        if self.rng.random() < 0.1:
            call["return_attention_scores"] = True
            outputs.append(((q.static[0], v.static[0]), (q.run[0], v.run[0])))
        self._use(q, v)
        self._add(type_name, {}, [q.ref, v.ref], outputs, call=call or None)
        return True

    def _mha(self) -> bool:
        q = self._pick(self._seq())
        v = self._pick(self._seq())
        if q is None or v is None:
            return False
        heads = self.rng.choice([1, 2])
        args = {"num_heads": heads, "key_dim": self.rng.choice([2, 3])}
        inputs: Any = {"query": q.ref, "value": v.ref}
        if self.rng.random() < 0.15:
            inputs["key"] = v.ref
        if self.rng.random() < 0.3:  # positional: query, value[, key]
            inputs = list(inputs.values())
        call = {}
        if self.rng.random() < 0.4:
            call["use_causal_mask"] = True
        outputs = [(q.static, q.run)]
        if self.rng.random() < 0.1:
            call["return_attention_scores"] = True
            outputs.append(((heads, q.static[0], v.static[0]), (heads, q.run[0], v.run[0])))
        self._use(q, v)
        self._add("MultiHeadAttention", args, inputs, outputs, call=call or None)
        return True

    def _share(self) -> bool:
        """Reuse an existing layer instance on another tensor of the same shape."""
        candidates = [(r, t) for r in self.records if r.type in SHAREABLE and r.source is not None
                      for t in self.tensors
                      if t.static == r.source.static and t.run == r.source.run and t.ids == r.source.ids]
        if not candidates:
            return False
        record, x = self.rng.choice(candidates)
        node_id = self._new_id("share")
        self.layers.append({"id": node_id, "share": record.id, "inputs": x.ref})
        n = len(record.outputs)
        refs = [node_id] if n == 1 else [f"{node_id}[{k}]" for k in range(n)]
        made = [Tensor(ref, o.static, o.run, o.ids, o.vocab) for ref, o in zip(refs, record.outputs)]
        self._use(x)
        self.tensors.extend(made)
        self.records.append(_LayerRecord(node_id, "share", None, made))
        return True

    # ------------------------------------------------------------ driver
    def _run_random_op(self) -> bool:
        ops, weights = zip(*self.ops)
        for _ in range(30):
            if self.rng.choices(ops, weights=weights)[0]():
                return True
        return False

    def spec(self) -> dict:
        for i in range(self.rng.choice([1, 1, 1, 2, 2, 3])):
            self._make_input(i)
        for _ in range(self.rng.randint(2, self.max_layers)):
            self._run_random_op()
        outputs = [t.ref for t in self.tensors if t.ref not in self.used]
        return {
            "graphmask": 1,
            "name": f"oracle_{self.seed}",
            "inputs": self.inputs,
            "layers": self.layers,
            "outputs": outputs,
        }


def yaml_text(spec: dict) -> str:
    return yaml.safe_dump(spec, sort_keys=False, default_flow_style=None, width=120)


def random_spec(seed: int) -> str:
    return yaml_text(SpecGenerator(seed).spec())
