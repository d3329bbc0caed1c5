"""Hand-curated facts about Keras losses that cannot be read off the classes.

Plain data, no Keras import.  ``training.py`` merges them into ``training.json``
and refuses a name here that the installed Keras does not have, so a Keras
upgrade that renames a loss fails the build instead of going stale.  The
loss/output fit rules (GM503, GM504) and the padded-loss rule (GM501) read
these facts; ``tests/test_training_rules.py`` holds each to real Keras.
"""

from __future__ import annotations

# What a loss's labels (y_true) hold, by loss class:
#   class_ids  one integer class id per prediction vector: labels have the output's rank minus one
#              (or a trailing axis of 1), and the output needs at least two units;
#   one_hot    a distribution over the output's last axis: labels have the output's shape;
#   binary     independent 0/1 targets, one per unit;
#   values     real-valued targets of the output's shape (regression, similarity).
LOSS_LABELS: dict[str, str] = {
    "SparseCategoricalCrossentropy": "class_ids",
    "CategoricalCrossentropy": "one_hot",
    "CategoricalFocalCrossentropy": "one_hot",
    "CategoricalHinge": "one_hot",
    "KLDivergence": "one_hot",
    "BinaryCrossentropy": "binary",
    "BinaryFocalCrossentropy": "binary",
    "Hinge": "binary",
    "SquaredHinge": "binary",
}

# The output activation a loss expects when its `from_logits` is false: Keras's
# crossentropies read softmax (class_ids, one_hot) or sigmoid (binary) outputs as
# probabilities, and with `from_logits: true` apply that activation themselves.
PROBABILITY_ACTIVATION: dict[str, str] = {"class_ids": "softmax", "one_hot": "softmax", "binary": "sigmoid"}

# Losses that reduce a whole sample rather than each position of the last axis
# (a sequence output's mask is then no per-timestep weight of theirs).
WHOLE_SAMPLE_LOSSES: frozenset[str] = frozenset({"CTC", "Dice", "Tversky", "Circle"})

# Metric names Keras's `compile` resolves itself, by the output and labels
# (trainers/compile_utils.py: `accuracy`/`acc`, `crossentropy`/`ce`).
RESOLVED_METRICS: tuple[str, ...] = ("accuracy", "acc", "crossentropy", "ce")

# Base classes in Keras's registries that are no loss, optimizer or metric to name.
ABSTRACT: frozenset[str] = frozenset({
    "Loss", "LossFunctionWrapper", "Optimizer", "LossScaleOptimizer", "MultiOptimizer", "OptimizerMap",
    "Metric", "MeanMetricWrapper", "Mean", "Sum",
})
