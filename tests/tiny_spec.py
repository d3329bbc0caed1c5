"""The smallest valid masked spec, for tests about files and outputs rather than masks."""

TINY = """\
graphmask: 1
name: tiny
inputs:
  tokens: {shape: [null], dtype: int32, pad_value: 0}
layers:
  - id: embedding
    type: Embedding
    args: {input_dim: 100, output_dim: 8, mask_zero: true}
  - id: lstm
    type: LSTM
    args: {units: 4}
outputs: [lstm]
"""
