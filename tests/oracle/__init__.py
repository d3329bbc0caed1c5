"""The differential mask oracle: random valid specs, an independent Keras
builder that records what Keras really does with masks, and the comparison
against graphmask's static mask-flow inference (``tests/test_oracle.py``)."""
