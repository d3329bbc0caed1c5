"""`graphmask import` of custom layers: read with --allow-import, declared unverified without it.

The classes are the real-model collection's (tests/realworld/models/custom_layers.py, written as the
Keras guide and keras-io examples write them).
"""

from __future__ import annotations

import pytest

import graphmask
from graphmask.convert.load import convert_file
from graphmask.spec.writer import to_yaml

pytestmark = pytest.mark.keras


@pytest.fixture(scope="module")
def saved(keras, tmp_path_factory):
    from tests.realworld.models import custom_layers as custom

    L = keras.layers
    tokens = keras.Input((8,), dtype="int32", name="tokens")
    embedded = L.Embedding(10, 4, mask_zero=True, name="embed")(tokens)
    first, second = custom.TemporalSplit(name="halves")(embedded)
    source = custom.TokenAndPositionEmbedding(8, 10, 4, name="positions")(tokens)
    decoded = custom.TransformerDecoder(4, 4, 2, name="decoder")(first, source[:, :4])
    model = keras.Model(tokens, [L.LSTM(3, name="rnn")(second), L.GlobalAveragePooling1D(name="pool")(decoded)])
    path = tmp_path_factory.mktemp("custom") / "m.keras"
    model.save(path)
    return path


def test_allow_import_reads_signature_outputs_and_shape(saved):
    from graphmask.keras.inspect_custom import InspectedCustomLayers

    result = convert_file(saved, custom=InspectedCustomLayers(allow=("tests",)))
    declared = result.spec["custom_layers"]
    assert declared["TemporalSplit"]["mask"] == {"supports_masking": True, "consumes": False, "output": "custom",
                                                 "outputs": 2, "keeps_right_padding": [True, False]}
    assert declared["TransformerDecoder"]["call_args"] == ["inputs", "encoder_outputs", "mask"]
    assert declared["TokenAndPositionEmbedding"]["output_shape"] == [8, 4]
    assert {"maxlen", "vocab_size", "embed_dim"} <= set(declared["TokenAndPositionEmbedding"]["args"])
    decoder = next(layer for layer in result.spec["layers"] if layer["id"] == "decoder")
    assert set(decoder["inputs"]) == {"inputs", "encoder_outputs"}  # two positional tensors, by name
    spec = graphmask.loads(to_yaml(result.spec, result.comments), "m.yaml")
    codes = {d.code for d in graphmask.check(spec)}
    assert not codes & {"GM104", "GM105", "GM109"}, codes


def test_without_the_code_the_declaration_says_unverified_and_still_takes_the_args(saved):
    result = convert_file(saved)
    declared = result.spec["custom_layers"]["TokenAndPositionEmbedding"]
    assert declared["mask"] == {"supports_masking": False}
    assert "call_args" not in declared and "output_shape" not in declared
    assert {"maxlen", "vocab_size", "embed_dim"} <= set(declared["args"])
    assert any("unverified" in note for note in result.assumptions)
    spec = graphmask.loads(to_yaml(result.spec, result.comments), "m.yaml")
    assert "GM104" not in {d.code for d in graphmask.check(spec)}


def test_the_compiled_import_computes_what_the_model_does(keras, saved):
    import numpy as np

    from graphmask.keras.inspect_custom import InspectedCustomLayers
    from tests.realworld.round_trip import copy_weights

    result = convert_file(saved, custom=InspectedCustomLayers(allow=("tests",)))
    compiled = graphmask.compile(graphmask.loads(to_yaml(result.spec, result.comments), "m.yaml"),
                                 allow_imports=["tests"], force=True)
    original = keras.saving.load_model(saved)
    assert copy_weights(original, compiled) == []
    batch = np.array([[3, 4, 5, 6, 7, 8, 9, 1], [3, 4, 5, 0, 0, 0, 0, 0]], dtype="int32")
    for mine, theirs in zip(compiled(batch), original(batch)):
        np.testing.assert_allclose(np.asarray(mine), np.asarray(theirs), atol=1e-6)


def test_a_layer_reading_its_input_tensors_masks_is_found_by_experiment(saved):
    from graphmask.keras.inspect_custom import InspectedCustomLayers

    result = convert_file(saved, custom=InspectedCustomLayers(allow=("tests",)))
    declared = result.spec["custom_layers"]
    # TransformerDecoder's attention picks up the masks of the tensors it is given; TemporalSplit takes one
    # tensor, so Keras hands it mask= and the question does not arise
    assert declared["TransformerDecoder"]["mask"].get("reads_input_masks") is True
    assert "reads_input_masks" not in declared["TemporalSplit"]["mask"]
    spec = graphmask.loads(to_yaml(result.spec, result.comments), "m.yaml")
    assert "GM208" not in {d.code for d in graphmask.check(spec)}


def test_the_layout_of_a_derived_mask_is_found_by_experiment(saved):
    from graphmask.keras.inspect_custom import InspectedCustomLayers

    result = convert_file(saved, custom=InspectedCustomLayers(allow=("tests",)))
    # the second half of a right-padded mask is all False for a sample shorter than half: cuDNN rejects it
    assert result.spec["custom_layers"]["TemporalSplit"]["mask"]["keeps_right_padding"] == [True, False]
    spec = graphmask.loads(to_yaml(result.spec, result.comments), "m.yaml")
    gm402 = [d for d in graphmask.check(spec) if d.code == "GM402"]
    assert [d.node for d in gm402] == ["rnn"] and "`halves`'s compute_mask" in gm402[0].message
