"""Saved Keras models -> specs, without TensorFlow.

- ``archive``      a ``.keras`` zip or a JSON file -> config text, read safely (nothing extracted)
- ``json_source``  JSON text -> value and the line/column of every key and value
- ``model_config`` a model config -> spec data (``convert_config``), with where each node came from
- ``args``         a layer's config -> spec ``args`` (only what differs from Keras's defaults)
- ``padding``      padding the model states (``mask_zero``, ``Masking``) or the user states (``--pad``)
- ``custom``       ``custom_layers:`` declarations for classes outside ``keras.layers``
- ``load``         a saved model -> ``LoadResult`` whose positions point into ``config.json`` (``check``)

The YAML text is written by ``graphmask.spec.writer`` (``import`` passes the assumptions as comments).

Only ``graphmask.keras.inspect_custom`` (``import --allow-import``) imports Keras.
"""

from graphmask.convert.archive import is_model_file, read_model_text
from graphmask.convert.json_source import parse_json
from graphmask.convert.model_config import ConvertError, ConvertResult, Problem, convert_config

__all__ = ["ConvertError", "ConvertResult", "Problem", "convert_config", "is_model_file", "parse_json",
           "read_model_text"]
