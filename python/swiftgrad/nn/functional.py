"""Stateless building blocks (PyTorch's `torch.nn.functional`). Convolution, pooling, layer norm,
dropout and the losses are operations of the core's table (Note [One op table]; Swift in
Sources/SwiftGrad/Composite/), published here; the functions below add PyTorch's conventions on
top (in-place running statistics, dtype objects)."""
from .. import _C

relu = _C.relu
tanh = _C.tanh
sigmoid = _C.sigmoid
softmax = _C.softmax
log_softmax = _C.log_softmax
softplus = _C.softplus
gelu = _C.gelu

# conv1d, conv2d, max_pool2d, avg_pool2d, layer_norm, dropout, embedding, scaled_dot_product_attention,
# mse_loss, huber_loss, nll_loss, cross_entropy, binary_cross_entropy_with_logits.
globals().update({op.__name__: op for op in _C.operations if op.namespace == "nn.functional"})


def linear(input, weight, bias=None):
    """`input @ weight.T + bias`, with `weight` of shape (out_features, in_features); an input with
    batch dimensions is multiplied as one matrix of stacked rows (sg.matmul does so for a batch
    times a matrix)."""
    out = _C.matmul(input, _C.transpose(weight))
    return out if bias is None else _C.add(out, bias)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalises each channel (axis 1) over the batch (and spatial) axes. In training it uses
    the batch statistics and updates `running_mean`/`running_var` in place, without recording
    (unbiased variance for the running estimate, as PyTorch); in evaluation it uses them."""
    output, *statistics = _C.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    if training and statistics:
        _C.copy_(running_mean, statistics[0])
        _C.copy_(running_var, statistics[1])
    return output


def one_hot(labels, num_classes=-1, dtype=None):
    """`labels` (integers) as one-hot rows: shape labels.shape + (num_classes,). Like PyTorch, a
    negative `num_classes` means max(labels) + 1; unlike PyTorch the result is floating, in the
    default dtype (float64 unless `sg.set_default_dtype` changed it; it is usually multiplied with
    float tensors; pass dtype=sg.int64 for integers). Built from a comparison, so it is recorded
    by graph mode (the range check reads the labels seen while recording)."""
    from .. import get_default_dtype
    from .._dtypes import code_of

    return _C.one_hot(labels, num_classes, code_of(get_default_dtype() if dtype is None else dtype))
