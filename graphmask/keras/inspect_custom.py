"""``graphmask import --allow-import PKG``: read a custom layer class for its ``custom_layers:`` declaration.

Imports the class (only from allowed packages, ``graphmask.keras.imports``)
and reads what Keras itself looks at: ``supports_masking`` on an instance
built from the saved config, whether the class overrides ``compute_mask``
(Keras 3 then accepts masks), and whether ``call`` takes ``mask``. What
``compute_mask`` returns is found by calling it on a small batch: a mask
with no mask given (``generated``), the given mask back (``same``), nothing
(``none``), or another mask (``custom``). A class that cannot be imported
or built keeps the unverified declaration.
"""

from __future__ import annotations

import inspect
from typing import Any, Iterable, Mapping

from graphmask.convert.custom import CustomLayers
from graphmask.keras.imports import ImportRefused, import_object


class InspectedCustomLayers(CustomLayers):
    def __init__(self, allow: Iterable[str] = (), classes: Mapping[str, type] | None = None):
        self.allow = tuple(allow)
        self.classes = dict(classes or {})  # already imported (a live model's): read without importing
        self.configs: dict[str, Mapping[str, Any]] = {}
        self.layers: dict[str, Mapping[str, Any]] = {}  # each class's first saved instance
        self.output_shapes: dict[str, list[list | None]] = {}

    def declare(self, class_name: str, layer: Mapping[str, Any], result: Any, where: tuple) -> None:
        self.configs.setdefault(class_name, layer.get("config", {}))
        self.layers.setdefault(class_name, layer)
        super().declare(class_name, layer, result, where)
        declaration = result.spec["custom_layers"][class_name]
        cls = self._class(class_name, declaration["import"])
        if cls is None:
            return
        declaration["call_args"] = call_parameters(cls)
        # one shape for the class: each instance's, when they all agree
        shapes = self.output_shapes.setdefault(class_name, [])
        shapes.append(_output_shape(cls, layer))
        if shapes[0] is not None and all(s == shapes[0] for s in shapes):
            declaration["output_shape"] = shapes[0]
        else:
            declaration.pop("output_shape", None)

    def _class(self, class_name: str, path: str) -> type | None:
        try:
            return self.classes.get(class_name) or import_object(path, self.allow)
        except ImportRefused:
            return None

    def mask_of(self, class_name: str, path: str) -> tuple[dict[str, Any], str]:
        try:
            cls = self.classes.get(class_name) or import_object(path, self.allow)
        except ImportRefused as exc:
            mask, how = super().mask_of(class_name, path)
            return mask, f"{how} ({exc})"
        from graphmask.keras.quiet import load_tensorflow

        load_tensorflow()
        import keras

        overrides = getattr(cls, "compute_mask", None) is not getattr(keras.layers.Layer, "compute_mask")
        consumes = "mask" in call_parameters(cls)
        try:
            instance = cls.from_config(dict(self.configs.get(class_name, {})))
            supports = bool(instance.supports_masking) or overrides
        except Exception as exc:  # noqa: BLE001 - the class's own code failed: say so, keep what is known
            return ({"supports_masking": overrides, "consumes": consumes},
                    f"read from {path} (not built from the config: {type(exc).__name__}); review `output`")
        mask: dict[str, Any] = {"supports_masking": supports, "consumes": consumes}
        output, outputs = _output_kind(instance) if overrides else (None, 1)
        if output is not None:
            mask["output"] = output
        if outputs > 1:
            mask["outputs"] = outputs
        if output == "custom":
            keeps = _keeps_right_padding(instance, self.layers.get(class_name, {}))
            if keeps is not None:
                mask["keeps_right_padding"] = keeps
        if _reads_input_masks(cls, self.layers.get(class_name, {})):
            mask["reads_input_masks"] = True
        return mask, f"read from {path}: supports_masking, compute_mask and call(mask=) inspected"


def _built_shape(layer: Mapping[str, Any]) -> list | None:
    """The one input shape a saved instance was built for (its ``build_config``); None for several inputs."""
    shape = (layer.get("build_config") or {}).get("input_shape")
    if not isinstance(shape, list) or not shape or any(isinstance(d, list) for d in shape):
        return None
    return shape


def _output_shape(cls: type, layer: Mapping[str, Any]) -> list | None:
    """The output shape (no batch axis) of this saved instance called on a symbolic input of the shape it
    was built for (its ``build_config``); None for a layer of several inputs, or one that fails to run."""
    import keras

    shape = _built_shape(layer)
    if shape is None:
        return None
    for dtype in ("float32", "int32"):  # token ids need an integer input
        try:
            output = cls.from_config(dict(layer.get("config", {})))(keras.KerasTensor(tuple(shape), dtype=dtype))
        except Exception:  # noqa: BLE001 - the class's own code failed on this input: try the next dtype
            continue
        return list(output.shape[1:]) if isinstance(output, keras.KerasTensor) else None
    return None


def _keeps_right_padding(instance: Any, layer: Mapping[str, Any]) -> list[bool] | None:
    """Per output mask ``compute_mask`` derives from right-padded masks of every length (one sample each):
    whether it is one cuDNN accepts (``_assert_valid_mask``: right-padded, no sequence fully masked)."""
    import numpy as np
    from keras import ops

    shape = _built_shape(layer)
    if shape is None or len(shape) < 3:
        return None
    steps = 8 if shape[1] is None else int(shape[1])
    values = np.zeros([steps, steps] + [1 if d is None else int(d) for d in shape[2:]], dtype="float32")
    given = np.array([[t < n for t in range(steps)] for n in range(steps, 0, -1)])
    try:
        derived = instance.compute_mask(ops.convert_to_tensor(values), ops.convert_to_tensor(given))
    except Exception:  # noqa: BLE001 - needs other inputs: unknown
        return None
    masks = derived if isinstance(derived, (list, tuple)) else [derived]

    def accepted(mask: Any) -> bool:
        rows = np.asarray(mask).astype(bool).reshape(steps, -1)
        return bool(np.all(rows[:, 1:] <= rows[:, :-1]) and rows[:, 0].all())

    return [mask is not None and accepted(mask) for mask in masks]


def _reads_input_masks(cls: type, layer: Mapping[str, Any]) -> bool:
    """Whether a layer whose call takes several tensors (so Keras hands it no ``mask=``) reads the masks on
    its input tensors itself: its outputs differ when the same values carry right-padded masks.

    The experiment gives every tensor parameter the shape the instance was built for (its
    ``build_config``; an encoder-decoder attention's inputs share the model width); a call that fails on
    that gives False, and the declaration stays as read."""
    import numpy as np
    from keras import ops
    from keras.src.backend import set_keras_mask

    tensors = [p for p in call_parameters(cls) if p not in ("mask", "training")]
    shape = _built_shape(layer)
    if len(tensors) < 2 or shape is None:
        return False
    concrete = [2] + [5 if d is None else int(d) for d in shape[1:]]
    if len(concrete) < 3 or concrete[1] < 2:
        return False  # no time axis to pad
    values = np.random.default_rng(0).normal(size=concrete).astype("float32")
    steps = concrete[1]
    mask = np.array([[True] * steps, [True] * (steps // 2) + [False] * (steps - steps // 2)])
    try:
        instance = cls.from_config(dict(layer.get("config", {})))
        plain = instance(*[ops.convert_to_tensor(values) for _ in tensors])
        again = instance(*[ops.convert_to_tensor(values) for _ in tensors])
        masked = [ops.convert_to_tensor(values) for _ in tensors]
        for tensor in masked:
            set_keras_mask(tensor, ops.convert_to_tensor(mask))
        with_masks = instance(*masked)
    except Exception:  # noqa: BLE001 - the class's own code failed on this input: nothing learned
        return False

    def differ(a: Any, b: Any) -> bool:
        pairs = zip(a, b) if isinstance(a, (list, tuple)) else [(a, b)]
        return any(not np.allclose(np.asarray(x), np.asarray(y), atol=1e-6) for x, y in pairs)

    return not differ(plain, again) and differ(plain, with_masks)  # a random layer proves nothing


def call_parameters(cls: type) -> list[str]:
    """The named parameters of ``cls.call``, in order (``self``, ``*args`` and ``**kwargs`` left out)."""
    named = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
             inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in list(inspect.signature(cls.call).parameters.values())[1:] if p.kind in named]


def _output_kind(layer: Any) -> tuple[str | None, int]:
    """What ``compute_mask`` returns on int ids (0 = padding) with and without a mask, as a declaration kind,
    and how many masks (one per output: TemporalSplit's two halves)."""
    import numpy as np
    from keras import ops

    ids = np.array([[3, 1, 0, 0]], dtype="int32")
    given = np.array([[True, False, True, False]])
    try:
        without = layer.compute_mask(ops.convert_to_tensor(ids), None)
        with_mask = layer.compute_mask(ops.convert_to_tensor(ids), ops.convert_to_tensor(given))
    except Exception:  # noqa: BLE001 - needs another input shape: leave `output` to its default
        return None, 1
    if without is not None:
        return "generated", _count(without)
    if with_mask is None:
        return "none", 1
    if isinstance(with_mask, (list, tuple)):
        return "custom", _count(with_mask)
    same = np.shape(with_mask) == given.shape and bool(np.all(np.asarray(with_mask) == given))
    return ("same" if same else "custom"), 1


def _count(masks: Any) -> int:
    return len(masks) if isinstance(masks, (list, tuple)) else 1
