"""Diagnostics and the rule registry.

Every code graphmask can emit is declared once, in ``RULES``: its severity,
a one-line summary and a fix hint. Formatters, ``graphmask rules`` and the
docs read from here, so a rule is never described in two places.
"""

from __future__ import annotations

import enum
import textwrap
import textwrap
from dataclasses import dataclass, field, replace


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    summary: str
    fix: str
    explanation: str = ""
    bad_example: str = ""
    good_example: str = ""


def _rule(code: str, severity: str, summary: str, fix: str, *,
          explanation: str = "", bad_example: str = "", good_example: str = "") -> Rule:
    # The long texts are written indented in the registry below; store them flush left.
    def flush(text: str) -> str:
        return textwrap.dedent(text).strip("\n")

    return Rule(code, Severity(severity), summary, fix, flush(explanation), flush(bad_example), flush(good_example))


RULES: dict[str, Rule] = {
    r.code: r
    for r in [
        _rule("GM000", "error", "internal error in graphmask",
              "please report this, with the spec that triggered it",
              explanation="""
                  graphmask failed unexpectedly while checking this file: a bug in graphmask,
                  not in the spec. The file is reported with GM000 and every other file is
                  still checked; the command exits with status 2. Please report it with the spec that triggered it and the
                  traceback printed with the message.
              """,
              bad_example="""
                  # There is no spec-side cause: any spec that makes graphmask crash.
                  # The message carries the traceback; attach it and the spec to the report.
              """,
              good_example="""
                  # Nothing to change in the spec. Upgrade graphmask, or suppress the file
                  # with `exclude` in [tool.graphmask] until the bug is fixed.
              """),
        # -- spec and structure --------------------------------------------------
        _rule("GM101", "error", "unreadable file, YAML syntax error, unsafe YAML or a resource limit",
              "fix the YAML at the given position; graphmask only reads plain YAML data",
              explanation="""
                  The file is not YAML graphmask can read. Either the YAML itself is broken (an
                  unclosed bracket, bad indentation, a tab) or it uses a YAML feature that
                  graphmask refuses because a spec must be plain data: tags such as
                  `!!python/object`, merge keys (`<<`), duplicate keys, or integers beyond 64
                  bits. The file itself may be unreadable: not UTF-8, binary, a directory, a FIFO
                  or device, or not readable by you. Finally, a file past a resource limit is
                  refused before it can cost much time or memory: larger than `--max-bytes`,
                  nested deeper than `--max-depth`, more YAML nodes than `--max-nodes` once
                  aliases are expanded (a "billion laughs" bomb), or more inputs and layers than
                  `--max-graph-nodes`; the message names the flag that raises the limit (see
                  docs/security.md for the defaults). Nothing else in the file is checked until
                  this is fixed.
              """,
              bad_example="""
                  graphmask: 1
                  name: classifier
                  inputs:
                    features: {shape: [8]
                  layers:
                    - id: out
                      type: Dense
                      args: {units: 1}
                      inputs: features
                  outputs: [out]
              """,
              good_example="""
                  graphmask: 1
                  name: classifier
                  inputs:
                    features: {shape: [8]}
                  layers:
                    - id: out
                      type: Dense
                      args: {units: 1}
                      inputs: features
                  outputs: [out]
              """),
        _rule("GM102", "error", "schema violation (missing/unknown field, wrong type, bad id or version)",
              "see `graphmask schema` for the format",
              explanation="""
                  The YAML is readable but does not follow the spec format: a required field is
                  missing, a field is unknown (often a typo: graphmask suggests the closest
                  name), a value has the wrong type, an id is not an identifier, or the
                  `graphmask:` format version is not one this release reads. `graphmask schema`
                  prints the whole format as a JSON Schema, which editors can use to complete
                  and validate specs as you type.
              """,
              bad_example="""
                  graphmask: 1
                  name: classifier
                  inputs:
                    features: {shape: [8]}
                  layers:
                    - id: out
                      type: Dense
                      argz: {units: 1}
                      inputs: features
                  outputs: [out]
              """,
              good_example="""
                  graphmask: 1
                  name: classifier
                  inputs:
                    features: {shape: [8]}
                  layers:
                    - id: out
                      type: Dense
                      args: {units: 1}
                      inputs: features
                  outputs: [out]
              """),
        _rule("GM103", "error", "unknown layer type",
              "use a class name from keras.layers or declare it under `custom_layers:`",
              explanation="""
                  `type:` names neither a public class in `keras.layers` (of the Keras version
                  graphmask's catalog was generated from) nor a layer declared under
                  `custom_layers:`. Names are case-sensitive class names, as in Python: `LSTM`,
                  `Conv1D`, `GlobalAveragePooling1D`. Abstract base classes such as `Layer` or
                  `RNN` without a cell are reported too. For your own layers, declare them under
                  `custom_layers:` (in the spec, or once for many specs in
                  `[tool.graphmask.custom_layers]`), with how they treat masks.
              """,
              bad_example="""
                  graphmask: 1
                  name: flattener
                  inputs:
                    image: {shape: [4, 4]}
                  layers:
                    - id: flat
                      type: Flaten
                      inputs: image
                  outputs: [flat]
              """,
              good_example="""
                  graphmask: 1
                  name: flattener
                  inputs:
                    image: {shape: [4, 4]}
                  layers:
                    - id: flat
                      type: Flatten
                      inputs: image
                  outputs: [flat]
              """),
        _rule("GM104", "error", "unknown or invalid constructor argument for a known layer",
              "check the layer's constructor arguments in the Keras docs",
              explanation="""
                  A layer's `args:` (constructor keyword arguments) or `call:` (call keyword
                  arguments) name an argument the Keras class does not take, miss one it
                  requires, or give a value of a type the argument can never hold (a string
                  where Keras expects a number or a boolean). Keras would raise a `TypeError` or
                  `ValueError` when the model is built; graphmask says so before anything is
                  imported, and suggests the closest argument name.
              """,
              bad_example="""
                  graphmask: 1
                  name: classifier
                  inputs:
                    features: {shape: [8]}
                  layers:
                    - id: out
                      type: Dense
                      args: {unit: 1}
                      inputs: features
                  outputs: [out]
              """,
              good_example="""
                  graphmask: 1
                  name: classifier
                  inputs:
                    features: {shape: [8]}
                  layers:
                    - id: out
                      type: Dense
                      args: {units: 1}
                      inputs: features
                  outputs: [out]
              """),
        _rule("GM105", "error", "reference to an undefined node or output index",
              "refer to an input or layer id defined in the spec (`id` or `id[k]`)",
              explanation="""
                  An `inputs:` entry, an `outputs:` entry or a `share:` names a node that does
                  not exist, or picks an output index the node does not have. A reference is an
                  input or layer id (`lstm`), or `id[k]` for the k-th output of a layer with
                  several outputs, such as an `LSTM` with `return_state: true` (`lstm[0]` is the
                  sequence, `lstm[1]` and `lstm[2]` the states). A layer with several outputs
                  must be referred to by index.
              """,
              bad_example="""
                  graphmask: 1
                  name: classifier
                  inputs:
                    features: {shape: [8]}
                  layers:
                    - id: out
                      type: Dense
                      args: {units: 1}
                      inputs: featurs
                  outputs: [out]
              """,
              good_example="""
                  graphmask: 1
                  name: classifier
                  inputs:
                    features: {shape: [8]}
                  layers:
                    - id: out
                      type: Dense
                      args: {units: 1}
                      inputs: features
                  outputs: [out]
              """),
        _rule("GM106", "error", "duplicate id", "give every input and layer a unique id",
              explanation="""
                  Two inputs or layers have the same id, so a reference to that id would be
                  ambiguous. Ids name graph nodes and become Keras layer names, which must be
                  unique within a model. To reuse one layer's weights on a second input, give
                  the second node its own id and `share:` the first.
              """,
              bad_example="""
                  graphmask: 1
                  name: two_layers
                  inputs:
                    features: {shape: [8]}
                  layers:
                    - id: dense
                      type: Dense
                      args: {units: 4}
                      inputs: features
                    - id: dense
                      type: Dense
                      args: {units: 1}
                  outputs: [dense]
              """,
              good_example="""
                  graphmask: 1
                  name: two_layers
                  inputs:
                    features: {shape: [8]}
                  layers:
                    - id: hidden
                      type: Dense
                      args: {units: 4}
                      inputs: features
                    - id: out
                      type: Dense
                      args: {units: 1}
                  outputs: [out]
              """),
        _rule("GM107", "error", "cycle in the graph",
              "a layer cannot depend on its own output; break the cycle",
              explanation="""
                  Following `inputs:` from some layer leads back to that same layer. A Keras
                  functional model is a directed acyclic graph: a layer cannot consume its own
                  output, directly or through other layers. The mask analysis needs an acyclic
                  graph, so it is skipped until the cycle is broken. For recurrence over time,
                  use a recurrent layer (`LSTM`, `GRU`, `RNN` with a cell).
              """,
              bad_example="""
                  graphmask: 1
                  name: loop
                  inputs:
                    features: {shape: [8]}
                  layers:
                    - id: a
                      type: Add
                      inputs: [features, b]
                    - id: b
                      type: Dense
                      args: {units: 8}
                      inputs: a
                  outputs: [b]
              """,
              good_example="""
                  graphmask: 1
                  name: residual
                  inputs:
                    features: {shape: [8]}
                  layers:
                    - id: b
                      type: Dense
                      args: {units: 8}
                      inputs: features
                    - id: a
                      type: Add
                      inputs: [features, b]
                  outputs: [a]
              """),
        _rule("GM108", "warning", "node or input that no output depends on",
              "remove it, or list it (or a node downstream of it) under `outputs:`",
              explanation="""
                  No model output depends on this input or layer. Keras would refuse an unused
                  input when the model is built with it, and an unused layer is dead weight: it
                  is never called, so its arguments are never exercised. Usually it is a
                  leftover from an edit, or an output is missing from `outputs:`.
              """,
              bad_example="""
                  graphmask: 1
                  name: classifier
                  inputs:
                    features: {shape: [8]}
                  layers:
                    - id: hidden
                      type: Dense
                      args: {units: 4}
                      inputs: features
                    - id: out
                      type: Dense
                      args: {units: 1}
                      inputs: features
                  outputs: [out]
              """,
              good_example="""
                  graphmask: 1
                  name: classifier
                  inputs:
                    features: {shape: [8]}
                  layers:
                    - id: hidden
                      type: Dense
                      args: {units: 4}
                      inputs: features
                    - id: out
                      type: Dense
                      args: {units: 1}
                      inputs: hidden
                  outputs: [out]
              """),
        _rule("GM109", "error", "wrong number of inputs for the layer",
              "give the layer the number of inputs it takes",
              explanation="""
                  The layer is given a number of tensor inputs it cannot take: merge layers
                  (`Add`, `Concatenate`, `Multiply`, ...) need at least two, most layers take
                  exactly one, attention layers take a query and a value (and optionally a key).
                  An input keyword the layer's `call` does not have is reported too. Keras would
                  raise when the layer is called.
              """,
              bad_example="""
                  graphmask: 1
                  name: merge
                  inputs:
                    left: {shape: [8]}
                  layers:
                    - id: sum
                      type: Add
                      inputs: [left]
                  outputs: [sum]
              """,
              good_example="""
                  graphmask: 1
                  name: merge
                  inputs:
                    left: {shape: [8]}
                    right: {shape: [8]}
                  layers:
                    - id: sum
                      type: Add
                      inputs: [left, right]
                  outputs: [sum]
              """),
        # -- masks ------------------------------------------------------------------
        _rule("GM201", "error", "a mask reaches a layer that does not support masking",
              "put a mask-consuming layer (RNN, attention, masked pooling) before it, or remove the mask",
              explanation="""
                  A Keras mask (from `Embedding(mask_zero=True)`, `Masking`, or a layer that
                  passes one on) reaches a layer whose `supports_masking` is false, such as
                  `Flatten`, `Conv1D`, `GlobalMaxPooling1D` or `Reshape`. Keras 3 drops the mask
                  there with only a warning (Keras 2 raised an error), so every layer after it
                  sees the padded timesteps as real data: a padded batch gives different results
                  from the same sequences unpadded. The message names the layer that generated
                  the mask and the path it took.
              """,
              bad_example="""
                  graphmask: 1
                  name: bag_of_words
                  inputs:
                    tokens: {shape: [null], dtype: int32, pad_value: 0}
                  layers:
                    - id: embed
                      type: Embedding
                      args: {input_dim: 1000, output_dim: 16, mask_zero: true}
                      inputs: tokens
                    - id: flat
                      type: Flatten
                    - id: out
                      type: Dense
                      args: {units: 1}
                  outputs: [out]
              """,
              good_example="""
                  graphmask: 1
                  name: bag_of_words
                  inputs:
                    tokens: {shape: [null], dtype: int32, pad_value: 0}
                  layers:
                    - id: embed
                      type: Embedding
                      args: {input_dim: 1000, output_dim: 16, mask_zero: true}
                      inputs: tokens
                    - id: pool
                      type: GlobalAveragePooling1D
                    - id: out
                      type: Dense
                      args: {units: 1}
                  outputs: [out]
              """),
        _rule("GM202", "warning", "a mask is generated but no consumer ever reads it",
              "add a mask consumer on the masked path, or drop `mask_zero`/`Masking` if padding is irrelevant",
              explanation="""
                  A layer generates a mask (`Embedding(mask_zero=True)`, `Masking`) but no layer
                  downstream ever reads it: every path from the generator ends, or drops the
                  mask, before reaching a mask consumer (an RNN, an attention layer, masked
                  pooling such as `GlobalAveragePooling1D`). The padding is then processed as
                  data anyway, and the mask only costs time. Either add a consumer on the masked
                  path or stop generating the mask.
              """,
              bad_example="""
                  graphmask: 1
                  name: tagger
                  inputs:
                    tokens: {shape: [null], dtype: int32, pad_value: 0}
                  layers:
                    - id: embed
                      type: Embedding
                      args: {input_dim: 1000, output_dim: 16, mask_zero: true}
                      inputs: tokens
                    - id: conv
                      type: Conv1D
                      args: {filters: 8, kernel_size: 3}
                    - id: out
                      type: Dense
                      args: {units: 1}
                  outputs: [out]
              """,
              good_example="""
                  graphmask: 1
                  name: tagger
                  inputs:
                    tokens: {shape: [null], dtype: int32, pad_value: 0}
                  layers:
                    - id: embed
                      type: Embedding
                      args: {input_dim: 1000, output_dim: 16, mask_zero: true}
                      inputs: tokens
                    - id: rnn
                      type: LSTM
                      args: {units: 8, return_sequences: true}
                    - id: out
                      type: Dense
                      args: {units: 1}
                  outputs: [out]
              """),
        _rule("GM203", "warning", "a Masking layer that cannot produce the intended timestep mask",
              "use `Embedding(mask_zero=True)` on token ids, or `Masking` directly on rank-3 float input",
              explanation="""
                  `Masking(mask_value=v)` masks a timestep when every feature of it equals `v`.
                  That only works on rank-3 float input `(batch, time, features)` whose padded
                  steps are filled with `v`. After an `Embedding` the padded steps are embedding
                  vectors, which are practically never all equal to `v`, so nothing is masked.
                  On integer token ids or on rank-2 input it masks whole samples or features
                  instead of timesteps. For token ids use `Embedding(mask_zero=True)`, which
                  masks id 0.
              """,
              bad_example="""
                  graphmask: 1
                  name: encoder
                  inputs:
                    tokens: {shape: [null], dtype: int32, pad_value: 0}
                  layers:
                    - id: embed
                      type: Embedding
                      args: {input_dim: 1000, output_dim: 16}
                      inputs: tokens
                    - id: mask
                      type: Masking
                      args: {mask_value: 0.0}
                    - id: rnn
                      type: LSTM
                      args: {units: 8}
                  outputs: [rnn]
              """,
              good_example="""
                  graphmask: 1
                  name: encoder
                  inputs:
                    tokens: {shape: [null], dtype: int32, pad_value: 0}
                  layers:
                    - id: embed
                      type: Embedding
                      args: {input_dim: 1000, output_dim: 16, mask_zero: true}
                      inputs: tokens
                    - id: rnn
                      type: LSTM
                      args: {units: 8}
                  outputs: [rnn]
              """),
        _rule("GM204", "info", "a merge combines masked and unmasked inputs",
              "mask every input of the merge if the unmasked side also has padding",
              explanation="""
                  A merge layer (`Add`, `Concatenate`, `Multiply`, `Average`, ...) gets some
                  inputs with a mask and some without. Keras treats the unmasked side as all
                  valid: the merged mask is the masked side's mask (for `Concatenate` on the
                  time axis the unmasked part counts as unmasked steps). That is right if the
                  unmasked input has no padding, and wrong if it has: mask it too. This is
                  information, not a problem in itself.
              """,
              bad_example="""
                  graphmask: 1
                  name: tokens_and_features
                  inputs:
                    tokens: {shape: [null], dtype: int32, pad_value: 0}
                    features: {shape: [null, 16], pad_value: 0.0}
                  layers:
                    - id: embed
                      type: Embedding
                      args: {input_dim: 1000, output_dim: 16, mask_zero: true}
                      inputs: tokens
                    - id: both
                      type: Add
                      inputs: [embed, features]
                    - id: rnn
                      type: LSTM
                      args: {units: 8}
                  outputs: [rnn]
              """,
              good_example="""
                  graphmask: 1
                  name: tokens_and_features
                  inputs:
                    tokens: {shape: [null], dtype: int32, pad_value: 0}
                    features: {shape: [null, 16], pad_value: 0.0}
                  layers:
                    - id: embed
                      type: Embedding
                      args: {input_dim: 1000, output_dim: 16, mask_zero: true}
                      inputs: tokens
                    - id: masked_features
                      type: Masking
                      args: {mask_value: 0.0}
                      inputs: features
                    - id: both
                      type: Add
                      inputs: [embed, masked_features]
                    - id: rnn
                      type: LSTM
                      args: {units: 8}
                  outputs: [rnn]
              """),
        _rule("GM205", "warning", "a padded input reaches a mask consumer without a mask",
              "generate a mask: `Embedding(mask_zero=True)` or a `Masking` layer on the padded input",
              explanation="""
                  An input declares `pad_value:` (its sequences are padded) and reaches a layer
                  that would read a mask (an RNN, attention, masked pooling), but no mask is
                  generated on the way. The consumer then processes the padding as real
                  timesteps: an `LSTM` runs over the trailing zeros and its final state depends
                  on how much padding the batch had. Generate a mask with
                  `Embedding(mask_zero=True)` (token ids padded with 0) or `Masking` (float
                  sequences).
              """,
              bad_example="""
                  graphmask: 1
                  name: encoder
                  inputs:
                    tokens: {shape: [null], dtype: int32, pad_value: 0}
                  layers:
                    - id: embed
                      type: Embedding
                      args: {input_dim: 1000, output_dim: 16}
                      inputs: tokens
                    - id: rnn
                      type: LSTM
                      args: {units: 8}
                  outputs: [rnn]
              """,
              good_example="""
                  graphmask: 1
                  name: encoder
                  inputs:
                    tokens: {shape: [null], dtype: int32, pad_value: 0}
                  layers:
                    - id: embed
                      type: Embedding
                      args: {input_dim: 1000, output_dim: 16, mask_zero: true}
                      inputs: tokens
                    - id: rnn
                      type: LSTM
                      args: {units: 8}
                  outputs: [rnn]
              """),
        _rule("GM206", "warning", "mask value differs from the input's declared pad_value",
              "make `Masking.mask_value` (or the padding id 0 of `mask_zero`) equal the input's `pad_value`",
              explanation="""
                  The value the mask looks for is not the value the input is padded with:
                  `Masking(mask_value=...)` differs from the input's `pad_value`, or
                  `Embedding(mask_zero=True)` (which masks id 0) is applied to ids padded with
                  another value. The mask then marks the wrong timesteps: usually none of the
                  padding, and any real step that happens to equal the mask value.
              """,
              bad_example="""
                  graphmask: 1
                  name: sensor_rnn
                  inputs:
                    readings: {shape: [null, 8], pad_value: -1.0}
                  layers:
                    - id: mask
                      type: Masking
                      args: {mask_value: 0.0}
                      inputs: readings
                    - id: rnn
                      type: LSTM
                      args: {units: 8}
                  outputs: [rnn]
              """,
              good_example="""
                  graphmask: 1
                  name: sensor_rnn
                  inputs:
                    readings: {shape: [null, 8], pad_value: -1.0}
                  layers:
                    - id: mask
                      type: Masking
                      args: {mask_value: -1.0}
                      inputs: readings
                    - id: rnn
                      type: LSTM
                      args: {units: 8}
                  outputs: [rnn]
              """),
        # -- shapes -----------------------------------------------------------------
        _rule("GM301", "error", "rank mismatch: a layer gets a tensor of a rank it cannot take",
              "reshape the tensor or feed the layer a tensor of the rank it expects",
              explanation="""
                  A layer receives a tensor whose rank (number of axes, batch included) it
                  cannot take: an `LSTM` needs `(batch, time, features)`, a `Conv1D` needs rank
                  3, `GlobalAveragePooling1D` needs rank 3. A common cause is feeding token ids
                  straight into a recurrent layer, or putting `Masking` on rank-2 ids instead of
                  embedding them first. Keras would raise when the model is built. Ranks
                  graphmask cannot infer are not reported.
              """,
              bad_example="""
                  graphmask: 1
                  name: encoder
                  inputs:
                    tokens: {shape: [null], dtype: int32, pad_value: 0}
                  layers:
                    - id: rnn
                      type: LSTM
                      args: {units: 8}
                      inputs: tokens
                  outputs: [rnn]
              """,
              good_example="""
                  graphmask: 1
                  name: encoder
                  inputs:
                    tokens: {shape: [null], dtype: int32, pad_value: 0}
                  layers:
                    - id: embed
                      type: Embedding
                      args: {input_dim: 1000, output_dim: 16, mask_zero: true}
                      inputs: tokens
                    - id: rnn
                      type: LSTM
                      args: {units: 8}
                  outputs: [rnn]
              """),
        _rule("GM302", "error", "incompatible shapes at a merge",
              "make the merged tensors' shapes match (except on the concatenation axis)",
              explanation="""
                  A merge layer gets tensors whose shapes cannot be combined: `Add`, `Multiply`,
                  `Average` and friends need equal shapes (up to broadcasting of size-1 axes),
                  `Concatenate` needs equal shapes on every axis except the concatenation axis.
                  Keras would raise when the model is built. Project the inputs to a common size
                  first (e.g. with `Dense`).
              """,
              bad_example="""
                  graphmask: 1
                  name: merge
                  inputs:
                    left: {shape: [8]}
                    right: {shape: [16]}
                  layers:
                    - id: sum
                      type: Add
                      inputs: [left, right]
                  outputs: [sum]
              """,
              good_example="""
                  graphmask: 1
                  name: merge
                  inputs:
                    left: {shape: [8]}
                    right: {shape: [16]}
                  layers:
                    - id: project
                      type: Dense
                      args: {units: 8}
                      inputs: right
                    - id: sum
                      type: Add
                      inputs: [left, project]
                  outputs: [sum]
              """),
        _rule("GM303", "error", "Keras failed to build the layer (found by --deep)",
              "fix the layer's arguments or inputs as Keras's message says",
              explanation="""
                  Found only by `graphmask check --deep`, which builds the model with real
                  Keras. Keras raised while building a layer: usually a shape problem the static
                  checks cannot see, such as a convolution kernel longer than a fixed-length
                  input. The message is Keras's own, located at the layer that failed.
              """,
              bad_example="""
                  graphmask: 1
                  name: short_conv
                  inputs:
                    series: {shape: [4, 3]}
                  layers:
                    - id: conv
                      type: Conv1D
                      args: {filters: 8, kernel_size: 7}
                      inputs: series
                  outputs: [conv]
              """,
              good_example="""
                  graphmask: 1
                  name: short_conv
                  inputs:
                    series: {shape: [4, 3]}
                  layers:
                    - id: conv
                      type: Conv1D
                      args: {filters: 8, kernel_size: 3}
                      inputs: series
                  outputs: [conv]
              """),
        _rule("GM304", "error", "static mask inference disagrees with Keras at runtime (found by --deep)",
              "please report this: graphmask's layer catalog is wrong for this case",
              explanation="""
                  Found only by `graphmask check --deep`, which builds the model with real Keras
                  and compares every node's static mask inference with the mask Keras actually
                  attaches to its output. For a built-in layer a disagreement is a bug in
                  graphmask's layer catalog: please report it, with the spec and the Keras
                  version. (A custom layer whose declaration is wrong is GM305.)
              """,
              bad_example="""
                  # There is no spec-side cause: graphmask's catalog entry for a built-in
                  # layer is wrong for the arguments this spec uses. The message names the
                  # node and what Keras and graphmask each inferred.
              """,
              good_example="""
                  # Nothing to change in the spec. Report it; until a fixed release, add
                  # `ignore: [GM304]` to the node the message names.
              """),
        _rule("GM305", "error", "a custom layer's `mask:` declaration does not match the class (found by compile)",
              "make the declaration say what the class does (supports_masking, output mask, outputs)",
              explanation="""
                  Found when the spec is compiled (`graphmask compile`, `run`, `check --deep`),
                  which imports the custom class and compares it with its `mask:` declaration
                  under `custom_layers:`: whether it supports masking, whether `call` reads the
                  mask, what `compute_mask` returns and how many outputs it has. The static
                  analysis trusts the declaration, so a declaration that does not describe the
                  class makes every mask finding downstream of it wrong.
              """,
              bad_example="""
                  # my_pkg.layers:Scale passes its input mask on (supports_masking = True),
                  # but the declaration says it outputs no mask.
                  graphmask: 1
                  name: scaled
                  inputs:
                    tokens: {shape: [null], dtype: int32, pad_value: 0}
                  custom_layers:
                    Scale:
                      import: my_pkg.layers:Scale
                      mask: {supports_masking: true, output: none}
                  layers:
                    - id: embed
                      type: Embedding
                      args: {input_dim: 1000, output_dim: 16, mask_zero: true}
                      inputs: tokens
                    - id: scale
                      type: Scale
                    - id: rnn
                      type: LSTM
                      args: {units: 8}
                  outputs: [rnn]
              """,
              good_example="""
                  graphmask: 1
                  name: scaled
                  inputs:
                    tokens: {shape: [null], dtype: int32, pad_value: 0}
                  custom_layers:
                    Scale:
                      import: my_pkg.layers:Scale
                      mask: {supports_masking: true, output: same}
                  layers:
                    - id: embed
                      type: Embedding
                      args: {input_dim: 1000, output_dim: 16, mask_zero: true}
                      inputs: tokens
                    - id: scale
                      type: Scale
                    - id: rnn
                      type: LSTM
                      args: {units: 8}
                  outputs: [rnn]
              """),
        _rule("GM306", "error", "custom code that may not be imported (not on the allow-list, or not found)",
              "pass the package with `--allow-import PKG` (API: allow_imports=) if you trust it, or fix the path",
              explanation="""
                  Building a model from a spec that declares `custom_layers:` means importing
                  the named Python module, which runs its code. graphmask never imports anything
                  while checking, and when compiling it imports only packages you allow
                  explicitly (`--allow-import PKG`, or `allow_imports=` in the API), so that
                  compiling a spec from elsewhere cannot run code you did not choose to trust.
                  The same code is used when the module or class cannot be found.
              """,
              bad_example="""
                  # graphmask compile encoder.yaml        (my_pkg is not allowed)
                  graphmask: 1
                  name: encoder
                  inputs:
                    features: {shape: [8]}
                  custom_layers:
                    Scale:
                      import: my_pkg.layers:Scale
                      mask: {supports_masking: true, output: same}
                  layers:
                    - id: scale
                      type: Scale
                      inputs: features
                  outputs: [scale]
              """,
              good_example="""
                  # graphmask compile encoder.yaml --allow-import my_pkg
                  graphmask: 1
                  name: encoder
                  inputs:
                    features: {shape: [8]}
                  custom_layers:
                    Scale:
                      import: my_pkg.layers:Scale
                      mask: {supports_masking: true, output: same}
                  layers:
                    - id: scale
                      type: Scale
                      inputs: features
                  outputs: [scale]
              """),
        # -- GPU --------------------------------------------------------------------
        _rule("GM401", "info", "an LSTM/GRU whose arguments rule out the fused cuDNN kernel",
              "use the cuDNN-compatible default for the named argument if GPU speed matters",
              explanation="""
                  On a GPU, Keras runs `LSTM` and `GRU` with the fused cuDNN kernel only when
                  the arguments allow it: `activation: tanh`, `recurrent_activation: sigmoid`,
                  `use_bias: true`, `unroll: false`, and for `GRU` also `reset_after: true`. Any
                  other value silently selects the generic kernel, which is several times slower
                  on GPU. The message names the argument. Ignore this if the model never trains
                  on a GPU.
              """,
              bad_example="""
                  graphmask: 1
                  name: encoder
                  inputs:
                    tokens: {shape: [null], dtype: int32, pad_value: 0}
                  layers:
                    - id: embed
                      type: Embedding
                      args: {input_dim: 1000, output_dim: 16, mask_zero: true}
                      inputs: tokens
                    - id: rnn
                      type: LSTM
                      args: {units: 8, activation: relu}
                  outputs: [rnn]
              """,
              good_example="""
                  graphmask: 1
                  name: encoder
                  inputs:
                    tokens: {shape: [null], dtype: int32, pad_value: 0}
                  layers:
                    - id: embed
                      type: Embedding
                      args: {input_dim: 1000, output_dim: 16, mask_zero: true}
                      inputs: tokens
                    - id: rnn
                      type: LSTM
                      args: {units: 8}
                  outputs: [rnn]
              """),
        _rule("GM402", "warning", "a left-padded masked sequence reaches an LSTM/GRU",
              "pad sequences at the end (`padding: post`), or pass `use_cudnn=False` to the layer",
              explanation="""
                  The input is declared left-padded (`padding: pre`) and its mask reaches an
                  `LSTM` or `GRU`. On a GPU, Keras's cuDNN path only accepts right-padded masks
                  (every sequence's valid steps first, then padding): it asserts this at run
                  time ("You are passing a RNN mask that does not correspond to right-padded
                  sequences, while using cuDNN"), so a left-padded batch fails there or is sent
                  to the slow generic kernel. Pad at the end (`padding: post`) instead.
              """,
              bad_example="""
                  graphmask: 1
                  name: encoder
                  inputs:
                    tokens: {shape: [null], dtype: int32, pad_value: 0, padding: pre}
                  layers:
                    - id: embed
                      type: Embedding
                      args: {input_dim: 1000, output_dim: 16, mask_zero: true}
                      inputs: tokens
                    - id: rnn
                      type: LSTM
                      args: {units: 8}
                  outputs: [rnn]
              """,
              good_example="""
                  graphmask: 1
                  name: encoder
                  inputs:
                    tokens: {shape: [null], dtype: int32, pad_value: 0, padding: post}
                  layers:
                    - id: embed
                      type: Embedding
                      args: {input_dim: 1000, output_dim: 16, mask_zero: true}
                      inputs: tokens
                    - id: rnn
                      type: LSTM
                      args: {units: 8}
                  outputs: [rnn]
              """),
        # -- suppressions -----------------------------------------------------------
        _rule("GM901", "warning", "a suppression (`ignore:`) that suppresses nothing",
              "remove the unused code from `ignore:`",
              explanation="""
                  A node's `ignore:` lists a code that the node does not produce, so the
                  suppression does nothing. Usually the problem was fixed and the suppression
                  stayed behind, or the code is on the wrong node (a suppression applies to the
                  node a diagnostic is reported on). Stale suppressions hide future problems of
                  the same kind, so remove them. GM901 itself can be turned off with `--ignore
                  GM901`.
              """,
              bad_example="""
                  graphmask: 1
                  name: classifier
                  inputs:
                    features: {shape: [8]}
                  layers:
                    - id: out
                      type: Dense
                      args: {units: 1}
                      inputs: features
                      ignore: [GM201]
                  outputs: [out]
              """,
              good_example="""
                  graphmask: 1
                  name: classifier
                  inputs:
                    features: {shape: [8]}
                  layers:
                    - id: out
                      type: Dense
                      args: {units: 1}
                      inputs: features
                  outputs: [out]
              """),
    ]
}


MAX_MESSAGE = 2000  # characters


@dataclass(frozen=True)
class Diagnostic:
    """One finding, located in a spec file.

    ``line`` and ``column`` are 1-based; 0 means "the whole file".
    ``path`` is the route a mask took (node ids), for mask findings.
    """

    code: str
    message: str
    file: str = "<string>"
    line: int = 0
    column: int = 0
    node: str | None = None
    severity: Severity = field(default=None)  # type: ignore[assignment]
    hint: str | None = None
    path: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        rule = RULES[self.code]
        if self.severity is None:
            object.__setattr__(self, "severity", rule.severity)
        elif not isinstance(self.severity, Severity):
            object.__setattr__(self, "severity", Severity(self.severity))
        if self.hint is None:
            object.__setattr__(self, "hint", rule.fix)
        if len(self.message) > MAX_MESSAGE:
            # Messages quote the spec; a hostile spec must not flood the report.
            cut = f"{self.message[:MAX_MESSAGE]}... ({len(self.message) - MAX_MESSAGE} more characters)"
            object.__setattr__(self, "message", cut)

    @property
    def rule(self) -> Rule:
        return RULES[self.code]

    def with_severity(self, severity: Severity) -> Diagnostic:
        return replace(self, severity=severity)

    def sort_key(self) -> tuple:
        return (self.file, self.line, self.column, self.code, self.message)

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "node": self.node,
            "hint": self.hint,
            "path": list(self.path),
        }


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)
