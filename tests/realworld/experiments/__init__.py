"""Experiments on what Keras 3.15.1 does with masks (see docs/keras-mask-facts.md, section R)."""
