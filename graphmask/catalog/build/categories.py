"""How the generator sorts each public Keras layer: its category and whether masks mean anything for it.

Plain data plus two small functions; no Keras import here.  The category of a
layer is read from its class name (``CATEGORY_BY_NAME``) or, failing that,
from its module path (``CATEGORY_BY_MODULE``).
"""

from __future__ import annotations

# --------------------------------------------------------------------------
# Category by class name (anything not here is derived from the module path).
CATEGORY_BY_NAME: dict[str, str] = {
    "Embedding": "embedding",
    "ReversibleEmbedding": "embedding",
    "Masking": "masking",
    "Bidirectional": "wrapper",
    "TimeDistributed": "wrapper",
    "Wrapper": "wrapper",
    "SpectralNormalization": "wrapper",
    "GRUCell": "rnn_cell",
    "LSTMCell": "rnn_cell",
    "SimpleRNNCell": "rnn_cell",
    "StackedRNNCells": "rnn_cell",
    "Layer": "other",
    "InputLayer": "core",
    "FlaxLayer": "other",
    "JaxLayer": "other",
    "TFSMLayer": "other",
    "TorchModuleWrapper": "other",
    "Pipeline": "preprocessing",
}

# Module path prefix (relative to keras.src.layers) -> category.
CATEGORY_BY_MODULE: list[tuple[str, str]] = [
    ("activations.", "activation"),
    ("attention.", "attention"),
    ("convolutional.", "conv"),
    ("core.", "core"),
    ("merging.", "merge"),
    ("normalization.", "normalization"),
    ("pooling.", "pooling"),
    ("preprocessing.image_preprocessing.", "image_augmentation"),
    ("preprocessing.", "preprocessing"),
    ("regularization.", "regularization"),
    ("reshaping.", "reshaping"),
    ("rnn.", "rnn"),
]

# Base classes that are not usable as-is in a graph.
ABSTRACT: frozenset[str] = frozenset({"Layer", "Wrapper"})

# --------------------------------------------------------------------------
# Layers where masks are meaningful even though their category is an
# image/preprocessing one, and vice versa.
MEANINGFUL_CATEGORIES: frozenset[str] = frozenset(
    {
        "core",
        "embedding",
        "masking",
        "rnn",
        "wrapper",
        "merge",
        "attention",
        "normalization",
        "regularization",
        "activation",
    }
)
# conv/pooling/reshaping: meaningful only for the 1-D (sequence) variants.
SEQUENCE_LAYERS_IN_SPATIAL_CATEGORIES: frozenset[str] = frozenset(
    {
        "Conv1D",
        "Conv1DTranspose",
        "DepthwiseConv1D",
        "SeparableConv1D",
        "AveragePooling1D",
        "MaxPooling1D",
        "GlobalAveragePooling1D",
        "GlobalMaxPooling1D",
        "AdaptiveAveragePooling1D",
        "AdaptiveMaxPooling1D",
        "Cropping1D",
        "UpSampling1D",
        "ZeroPadding1D",
        "Flatten",
        "Reshape",
        "Permute",
        "RepeatVector",
        "TextVectorization",
        "StringLookup",
        "IntegerLookup",
        "Hashing",
        "Normalization",
        "Rescaling",
    }
)
NOT_MEANINGFUL: frozenset[str] = frozenset(
    {"Layer", "InputLayer", "Wrapper", "SpectralNormalization", "ConvLSTM2D", "ConvLSTM3D", "MelSpectrogram", "STFTSpectrogram", "HashedCrossing", "CategoryEncoding", "Discretization", "Pipeline"}
)


def category(name: str, cls) -> str:
    """The catalog category of public layer ``name`` (class ``cls``)."""
    if name in CATEGORY_BY_NAME:
        return CATEGORY_BY_NAME[name]
    canon = cls.__name__
    if canon in CATEGORY_BY_NAME:
        return CATEGORY_BY_NAME[canon]
    mod = cls.__module__
    prefix = "keras.src.layers."
    if mod.startswith(prefix):
        rel = mod[len(prefix):]
        for p, cat in CATEGORY_BY_MODULE:
            if rel.startswith(p):
                return cat
    return "other"


def meaningful(name: str, canon: str, category: str) -> bool:
    """Whether a mask reaching this layer is worth a diagnostic (see judge.mask_rule)."""
    if name in NOT_MEANINGFUL or canon in NOT_MEANINGFUL:
        return False
    if canon in SEQUENCE_LAYERS_IN_SPATIAL_CATEGORIES or name in SEQUENCE_LAYERS_IN_SPATIAL_CATEGORIES:
        return True
    return category in MEANINGFUL_CATEGORIES
