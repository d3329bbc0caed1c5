"""The spec format, version 1, as pydantic models.

These models are the public contract of the YAML format and the source of
``graphmask schema``. They validate shape and types only; whether a layer
type or argument exists is the structure pass's job (it needs the catalog).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    StringConstraints,
    Tag,
    field_validator,
    model_validator,
)

ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
REF_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\[[0-9]+\])?$"
CODE_PATTERN = r"^GM[0-9]{3}$"
# `package.module:Name`: how a spec names Python code (imported only by compile/run, when allowed)
IMPORT_PATH_PATTERN = r"^(?P<module>[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*):(?P<name>[A-Za-z_][A-Za-z0-9_]*)$"
_REF_RE = re.compile(r"^(?P<node>[A-Za-z_][A-Za-z0-9_]*)(\[(?P<index>[0-9]+)\])?$")
IMPORT_PATH = re.compile(IMPORT_PATH_PATTERN)

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=200)]
Ref = Annotated[str, StringConstraints(pattern=REF_PATTERN, max_length=220)]
Code = Annotated[str, StringConstraints(pattern=CODE_PATTERN)]

DType = Literal[
    "float16", "bfloat16", "float32", "float64",
    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "bool", "string",
]


def parse_ref(ref: str) -> tuple[str, int | None]:
    """Split ``"lstm[1]"`` into ``("lstm", 1)`` and ``"x"`` into ``("x", None)``."""
    match = _REF_RE.match(ref)
    if match is None:
        raise ValueError(f"not a reference: {ref!r}")
    index = match.group("index")
    return match.group("node"), (int(index) if index is not None else None)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class InputSpec(_Strict):
    """A model input: one tensor, per-sample shape without the batch axis."""

    shape: list[Annotated[int, Field(ge=1)] | None] = Field(
        description="per-sample shape (no batch axis); null = any length"
    )
    dtype: DType = Field(default="float32", description="tensor dtype: an int type for token ids")
    pad_value: Union[int, float, list[Union[int, float]], None] = Field(
        default=None, description="declares that this input is padded with this value: a number, or a list "
        "(the feature vector of a padded step, e.g. the one-hot of the pad symbol)"
    )
    padding: Literal["post", "pre", "gaps"] = Field(
        default="post", description="where the padding is: at the end (post), at the start (pre), or at any "
        "step (gaps: missing steps marked with the pad value)"
    )

    @field_validator("pad_value")
    @classmethod
    def _finite(cls, value: Any) -> Any:
        for number in value if isinstance(value, list) else [value]:
            if isinstance(number, float) and number != number or number in (float("inf"), float("-inf")):
                raise ValueError("pad_value must hold finite numbers")
        return value

    @model_validator(mode="after")
    def _vector_fits(self) -> "InputSpec":
        if isinstance(self.pad_value, list) and (len(self.shape) < 2 or self.shape[-1] != len(self.pad_value)):
            raise ValueError(f"a pad_value list gives one value per feature: {len(self.pad_value)} values, but "
                             f"the input's last axis is {self.shape[-1] if len(self.shape) > 1 else 'absent'}")
        return self


class MaskDeclaration(_Strict):
    """How a custom layer treats masks, for static analysis.

    Mirrors what Keras looks at: ``supports_masking`` (an incoming mask is
    accepted rather than dropped with a warning; Keras 3 sets it to True
    when ``compute_mask`` is overridden), whether ``call`` reads the mask,
    and what ``compute_mask`` returns.
    """

    supports_masking: bool | None = Field(
        default=None,
        description="an incoming mask is accepted, not dropped with a warning (default, as in Keras 3: "
        "true when the layer computes an output mask, i.e. `output` is same, generated or custom)",
    )
    consumes: bool = Field(default=False, description="call() reads the mask")
    keeps_right_padding: list[bool] | None = Field(
        default=None, description="per output: whether the mask compute_mask derives from a right-padded mask "
        "is one cuDNN accepts (right-padded, no sequence fully masked); unknown if omitted (read by --allow-import)")
    reads_input_masks: bool = Field(
        default=False, description="call(), or a layer inside it, reads the Keras masks on its input tensors "
        "itself, so padding is handled even where Keras hands call() no `mask=` (a call with several tensors)")
    output: Literal["same", "none", "generated", "custom"] | None = Field(
        default=None,
        description=(
            "output mask (default: same if supports_masking else none): "
            "same = input mask passed through; none = no mask; "
            "generated = a new mask computed from the input values; "
            "custom = a different mask derived from the input mask (e.g. split or reshaped time axis)"
        ),
    )
    outputs: Annotated[int, Field(ge=1, le=64)] = Field(
        default=1, description="number of output tensors (each gets the output mask)"
    )


class CustomLayerSpec(_Strict):
    import_: str = Field(
        alias="import",
        pattern=r"^[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_]*$",
        description="`package.module:ClassName`; imported only by compile/run, and only when allowed",
    )
    mask: MaskDeclaration = Field(default_factory=MaskDeclaration,
                                  description="how the layer treats masks (compile checks it against the class)")
    args: list[Id] | None = Field(
        default=None, description="constructor argument names, to check layer args (optional)"
    )
    inputs: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="number of tensor inputs (optional)"
    )
    output_shape: list[Annotated[int, Field(ge=1)] | None] | None = Field(
        default=None, description="the shape of the (first) output, without the batch axis; null = any length "
        "(optional: without it, shapes and padding are not followed past the layer)")
    call_args: list[Id] | None = Field(
        default=None, description="the parameters of call(), in order (optional; the first takes the inputs, "
        "a node's `inputs:` mapping names them); default: `inputs`, and `mask` when the layer consumes it")


InputsField = Union[Ref, list[Ref], dict[Id, Union[Ref, list[Ref]]]]


class LayerSpec(_Strict):
    """One node of the graph: a layer call."""

    id: Id = Field(description="unique node name; other layers and `outputs` refer to it")
    type: str | None = Field(default=None, description="class name in keras.layers, or a custom layer name")
    op: Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=100)] | None = Field(
        default=None, description="a keras.ops function applied to the inputs (`add` for `x + y`), instead of a layer")
    model: Id | None = Field(
        default=None, description="call a sub-model declared under `models:` (a nested Functional model), "
        "instead of a layer")
    args: dict[str, Any] = Field(default_factory=dict, description="constructor keyword arguments")
    inputs: InputsField | None = Field(
        default=None,
        description="a ref, a list of refs, or a mapping of call keyword -> ref; "
        "omitted = the previous layer's output",
    )
    call: dict[Id, Any] = Field(default_factory=dict, description="extra keyword arguments for the call")
    share: Id | None = Field(default=None, description="reuse the layer instance (weights) of another node")
    ignore: list[Code] = Field(default_factory=list, description="diagnostic codes suppressed on this node")

    @model_validator(mode="after")
    def _type_or_share(self) -> LayerSpec:
        given = [k for k in ("type", "op", "model") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"a node is one of a layer (`type`), a keras.ops call (`op`) or a sub-model call "
                             f"(`model`), not {' and '.join(f'`{k}`' for k in given)}")
        if self.model is not None:
            if self.args:
                raise ValueError("a `model` node calls a sub-model declared under `models:`: it takes no `args`")
            return self
        if self.op is not None:
            if self.share is not None:
                raise ValueError("an `op` node calls a keras.ops function: it takes no `share`")
            return self
        if self.share is None and self.type is None:
            raise ValueError("a layer needs `type` (or `op` for a keras.ops call, or `share` to reuse another "
                             "node's layer)")
        if self.share is not None and (self.type is not None or self.args):
            raise ValueError("a `share` node reuses another layer: it takes no `type` or `args`")
        return self


class ObjectSpec(_Strict):
    """A Keras optimizer, loss or metric with constructor arguments."""

    type: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="a class or name from keras.optimizers / keras.losses / keras.metrics")
    args: dict[Id, Any] = Field(default_factory=dict, description="constructor keyword arguments")


def _named_branch(value: Any) -> str:
    return "<object>" if isinstance(value, (dict, BaseModel)) else "<name>"


def _loss_branch(value: Any) -> str:
    """A mapping with `type` is one loss; any other mapping is output name -> loss."""
    if isinstance(value, dict):
        return "<object>" if "type" in value else "<per-output>"
    return "<object>" if isinstance(value, BaseModel) else "<name>"


Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# `adam` or `{type: Adam, args: {...}}`; discriminated so a mistake reports one branch's error, not both
Named = Annotated[Union[Annotated[Name, Tag("<name>")], Annotated[ObjectSpec, Tag("<object>")]],
                  Discriminator(_named_branch)]
LossField = Annotated[Union[Annotated[Name, Tag("<name>")], Annotated[ObjectSpec, Tag("<object>")],
                            Annotated[dict[Id, Named], Tag("<per-output>")]], Discriminator(_loss_branch)]


class EarlyStoppingSpec(_Strict):
    """`keras.callbacks.EarlyStopping`: stop when a monitored value stops improving."""

    monitor: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        default="val_loss", description="a history key: `loss`, `val_loss`, `val_<metric>`...")
    patience: Annotated[int, Field(ge=0)] = Field(default=0, description="epochs without improvement to wait")
    min_delta: Annotated[float, Field(ge=0)] = Field(default=0.0, description="smallest change that counts")
    mode: Literal["auto", "min", "max"] = Field(default="auto", description="whether lower or higher is better")
    restore_best_weights: bool = Field(default=False, description="end with the best epoch's weights")


class TrainingSpec(_Strict):
    """How `graphmask fit` trains the model: the arguments of Keras's `compile` and `fit`."""

    optimizer: Named = Field(default="adam", description="a name (`adam`) or {type, args}")
    loss: LossField = Field(
        description="a name, {type, args}, or a mapping of output name -> loss")
    loss_weights: dict[Id, Annotated[float, Field(ge=0)]] | None = Field(
        default=None, description="per-output weight of its loss in the total")
    metrics: Union[list[Named], dict[Id, list[Named]]] = Field(
        default_factory=list, description="a list of metrics, or a mapping of output name -> list")
    batch_size: Annotated[int, Field(ge=1, le=1 << 20)] = Field(default=32, description="samples per step")
    epochs: Annotated[int, Field(ge=1, le=1 << 20)] = Field(default=1, description="passes over the data")
    early_stopping: EarlyStoppingSpec | None = Field(default=None, description="stop early (optional)")
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] | None = Field(
        default=None, description="seeds Python, numpy and TensorFlow for a reproducible run")


class SubModelSpec(_Strict):
    """A named sub-graph (a Keras Functional model used as a layer): its own inputs, layers and outputs.

    Layers of the spec call it with ``model: <name>``, once or several times
    (each call shares the sub-model's weights, as calling one Keras model twice does).
    """

    description: str | None = Field(default=None, description="free text for people")
    inputs: Annotated[dict[Id, InputSpec], Field(min_length=1)] = Field(
        description="the sub-model's inputs, by name, in call order")
    layers: Annotated[list[LayerSpec], Field(min_length=1)] = Field(description="layer calls, in order")
    outputs: Union[Annotated[list[Ref], Field(min_length=1)], Annotated[dict[Id, Ref], Field(min_length=1)]] = Field(
        description="the sub-model's outputs: a list of refs, or a mapping of output name -> ref")

    def output_refs(self) -> list[tuple[str, str]]:
        if isinstance(self.outputs, dict):
            return list(self.outputs.items())
        return [(ref, ref) for ref in self.outputs]


class Spec(_Strict):
    """A whole model: inputs, layers (in order), outputs."""

    graphmask: Literal[1] = Field(description="format version")
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(description="the model's name")
    description: str | None = Field(default=None, description="free text for people")
    inputs: Annotated[dict[Id, InputSpec], Field(min_length=1)] = Field(description="model inputs, by name")
    layers: Annotated[list[LayerSpec], Field(min_length=1)] = Field(description="layer calls, in order")
    outputs: Union[Annotated[list[Ref], Field(min_length=1)], Annotated[dict[Id, Ref], Field(min_length=1)]] = Field(
        description="model outputs: a list of refs, or a mapping of output name -> ref")
    custom_layers: dict[Id, CustomLayerSpec] = Field(
        default_factory=dict, description="layer classes outside keras.layers, with their mask behaviour")
    training: TrainingSpec | None = Field(default=None, description="how `graphmask fit` trains the model")
    models: dict[Id, SubModelSpec] = Field(
        default_factory=dict, description="sub-models (nested Functional models), called by `model:` nodes")

    _source: Any = PrivateAttr(default=None)
    # ids of layers dropped because they failed validation (already reported)
    _invalid_ids: frozenset = PrivateAttr(default=frozenset())
    # index in the YAML `layers:` list of each entry of `self.layers`
    _layer_lines: tuple = PrivateAttr(default=None)

    def _private(self, name: str) -> Any:
        """A private attribute, read from pydantic's storage: ``self._x`` goes through ``BaseModel.__getattr__``,
        which costs ~10 µs a read (it probes the attribute with ``hasattr``, an exception each time), and the
        graph asks ``yaml_index`` for every layer."""
        private = self.__pydantic_private__
        return private[name] if private is not None and name in private else getattr(self, name)

    @property
    def source(self):
        """The ``SourceMap`` of the file this spec was read from (or None)."""
        return self._private("_source")

    @property
    def file(self) -> str:
        source = self._private("_source")
        return source.file if source is not None else "<string>"

    @property
    def invalid_ids(self) -> frozenset:
        return self._private("_invalid_ids")

    def yaml_index(self, position: int) -> int:
        """Index in the YAML ``layers:`` list of ``self.layers[position]``."""
        lines = self._private("_layer_lines")
        return position if lines is None else lines[position]

    def output_refs(self) -> list[tuple[str, str]]:
        """``(output name, ref)`` pairs; list outputs are named by their ref."""
        if isinstance(self.outputs, dict):
            return list(self.outputs.items())
        return [(ref, ref) for ref in self.outputs]


def known_fields(model: type[BaseModel]) -> list[str]:
    """Field names as written in YAML (aliases where set)."""
    return [f.alias or name for name, f in model.model_fields.items()]
