"""Mask rules (GM2xx): masks that are dropped, never read, mixed, missing or mismatched."""

from graphmask.analysis.rules.masks import (
    mask_not_passed,
    masked_unmasked_merge,
    mask_never_read,
    mask_value_mismatch,
    masking_cannot_mask,
    op_drops_mask,
    unmasked_padding,
    unsupported_layer,
)

RULES = (unsupported_layer, mask_never_read, masking_cannot_mask, masked_unmasked_merge, unmasked_padding,
         mask_value_mismatch, op_drops_mask, mask_not_passed)
