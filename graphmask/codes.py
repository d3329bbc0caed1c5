"""Every diagnostic code as an object, in the manner of mypy's ``errorcodes.py``.

Emit sites name a code by its constant (``codes.GM201``), never by a ``"GM201"``
string, so a typo is an import error and "who emits GM201" is a plain search.
The texts (severity, summary, fix, docs) stay in ``rules.yaml``, the single
source; a test keeps these constants and the registry identical.
"""

from __future__ import annotations

from typing import Final

from graphmask.diagnostics import RULES, Rule

GM000: Final[Rule] = RULES["GM000"]  # internal error in graphmask
GM101: Final[Rule] = RULES["GM101"]  # unreadable file, YAML syntax error, unsafe YAML or a resource limit
GM102: Final[Rule] = RULES["GM102"]  # schema violation (missing/unknown field, wrong type, bad id or version)
GM103: Final[Rule] = RULES["GM103"]  # unknown layer type
GM104: Final[Rule] = RULES["GM104"]  # unknown or invalid constructor argument for a known layer
GM105: Final[Rule] = RULES["GM105"]  # reference to an undefined node or output index
GM106: Final[Rule] = RULES["GM106"]  # duplicate id
GM107: Final[Rule] = RULES["GM107"]  # cycle in the graph
GM108: Final[Rule] = RULES["GM108"]  # node or input that no output depends on
GM109: Final[Rule] = RULES["GM109"]  # wrong number of inputs for the layer
GM110: Final[Rule] = RULES["GM110"]  # a part of a saved model that a spec cannot express
GM111: Final[Rule] = RULES["GM111"]  # a custom layer has the name of a keras.layers class
GM201: Final[Rule] = RULES["GM201"]  # a mask reaches a layer that does not support masking
GM202: Final[Rule] = RULES["GM202"]  # a mask is generated but no consumer ever reads it
GM203: Final[Rule] = RULES["GM203"]  # a Masking layer that cannot produce the intended timestep mask
GM204: Final[Rule] = RULES["GM204"]  # a merge combines masked and unmasked inputs
GM205: Final[Rule] = RULES["GM205"]  # a padded input reaches a mask consumer without a mask
GM206: Final[Rule] = RULES["GM206"]  # mask value differs from the input's declared pad_value
GM207: Final[Rule] = RULES["GM207"]  # a keras.ops call drops the mask of its input (silently)
GM208: Final[Rule] = RULES["GM208"]  # a layer that reads masks is not handed its input's mask
GM301: Final[Rule] = RULES["GM301"]  # rank mismatch: a layer gets a tensor of a rank it cannot take
GM302: Final[Rule] = RULES["GM302"]  # incompatible shapes at a merge
GM303: Final[Rule] = RULES["GM303"]  # Keras failed to build the layer (found by --deep)
GM304: Final[Rule] = RULES["GM304"]  # static mask inference disagrees with Keras at runtime (found by --deep)
GM305: Final[Rule] = RULES["GM305"]  # a custom layer's `mask:` declaration does not match the class (found by compile)
GM306: Final[Rule] = RULES["GM306"]  # custom code that may not be imported (not on the allow-list, or not found)
GM401: Final[Rule] = RULES["GM401"]  # an LSTM/GRU whose arguments rule out the fused cuDNN kernel
GM402: Final[Rule] = RULES["GM402"]  # a left-padded masked sequence reaches an LSTM/GRU
GM501: Final[Rule] = RULES["GM501"]  # a per-timestep loss counts padded steps (the output has no mask when the model runs)
GM502: Final[Rule] = RULES["GM502"]  # unknown optimizer, loss or metric, or an argument it does not take
GM503: Final[Rule] = RULES["GM503"]  # a loss that does not fit its output (units, activation or rank)
GM504: Final[Rule] = RULES["GM504"]  # `from_logits` disagrees with the output's activation
GM505: Final[Rule] = RULES["GM505"]  # a `loss`, `loss_weights` or `metrics` key that names no output
GM901: Final[Rule] = RULES["GM901"]  # a suppression (`ignore:`) that suppresses nothing
