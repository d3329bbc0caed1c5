"""GPU rules (GM4xx): what keeps an LSTM/GRU off the fused cuDNN kernel, or makes that kernel fail."""

from graphmask.analysis.rules.gpu import cudnn_args, cudnn_padding

RULES = (cudnn_args, cudnn_padding)
