"""Training rules (GM5xx): the `training:` section against the catalog and the model's outputs."""

from graphmask.analysis.rules.training import (
    from_logits,
    loss_output_fit,
    padded_loss,
    unknown_names,
    unknown_output_keys,
)

RULES = (padded_loss, unknown_names, loss_output_fit, from_logits, unknown_output_keys)
