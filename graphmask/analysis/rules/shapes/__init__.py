"""Shape rules (GM3xx) found statically: ranks a layer cannot take, merges of incompatible shapes."""

from graphmask.analysis.rules.shapes import merge_shapes, wrong_rank

RULES = (wrong_rank, merge_shapes)
