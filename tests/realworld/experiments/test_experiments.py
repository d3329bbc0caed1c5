"""Each observed Keras 3.15.1 fact of docs/keras-mask-facts.md section R, asserted (an upgrade that changes one fails)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.keras


def test_r1_nested_models(keras):
    from tests.realworld.experiments.facts import nested_model_masks

    facts = nested_model_masks()
    valid = [[1, 1, 1, 0, 0], [1, 1, 0, 0, 0]]
    # symbolically a sub-model's output carries no mask (keras-team/keras#18417) ...
    assert facts["functional_symbolic_output_mask"] is False
    assert facts["sequential_symbolic_output_mask"] is False
    assert facts["mask_generated_inside_sequential_symbolic"] is False
    # ... but when the outer model runs, the mask goes in and comes out
    assert facts["functional_inner_layer_got_mask_at_run"] == valid
    assert facts["sequential_inner_layer_got_mask_at_run"] == valid
    assert facts["functional_runtime_output_mask"] == valid
    assert facts["sequential_runtime_output_mask"] == valid
    assert facts["mask_generated_inside_sequential_at_run"] == valid


def test_r3_call_argument_rule(keras):
    from tests.realworld.experiments.facts import call_argument_rule

    facts = call_argument_rule()
    assert facts["lstm_without_initial_state_output_changes_with_padding"] is False
    assert facts["lstm_with_initial_state_output_changes_with_padding"] is True
    assert facts["mha_query_value_call_masks"] == {"query_mask": True, "value_mask": True, "key_mask": False}
    assert facts["attention_list_call_mask"] == [True, True]
    assert facts["custom_two_tensor_call"] == {"mask": False, "b_mask": True}
    assert facts["lstm_with_initial_state_call_mask"] == "one mask"  # a direct eager call; see R3 in the facts doc


def test_r4_concat_and_masking(keras):
    from tests.realworld.experiments.facts import concat_and_masking

    facts = concat_and_masking()
    assert facts["concat_axis1_mask"] == [[1, 1, 1, 0, 1, 1, 1, 0, 0], [1, 1, 0, 0, 1, 1, 0, 0, 0]]
    assert facts["concat_axis1_right_padded"] is False
    assert facts["embedding_then_masking_left_padded_mask"] == [[1] * 5, [1] * 5]
    assert facts["embedding_then_masking_right_padded"] is True
