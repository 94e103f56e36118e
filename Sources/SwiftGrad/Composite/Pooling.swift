/// Average pooling of (N, C, H, W) tensors: the windows come from `im2col` (Note [Convolution
/// by im2col]) and are reduced with `mean`, so the derivatives are those of the reduction. Max
/// pooling is a primitive (Note [Max pooling by argmax], Primitives/MaxPooling.swift).

/// The pooling windows of `input` as (N, C, kh * kw, Ho, Wo), padded with `fill`.
func poolingWindows(
  _ input: Tensor, kernelSize: (Int, Int), stride: (Int, Int)?, padding: (Int, Int), fill: Double, op: String
) throws -> Tensor {
  guard input.ndim == 4 else {
    throw SGError.value("\(op): expected an (N, C, H, W) input, got shape \(describe(input.shape))")
  }
  try checkPositive(kernelSize, "kernel_size", op)
  let stride = stride ?? kernelSize
  try checkPositive(stride, "stride", op)
  // At most half a kernel of padding: every window then holds at least one input element.
  guard padding.0 >= 0, padding.1 >= 0, padding.0 <= kernelSize.0 / 2, padding.1 <= kernelSize.1 / 2 else {
    throw SGError.value(
      "\(op): padding (\(padding.0), \(padding.1)) must be non-negative and at most half the kernel "
        + "(\(kernelSize.0), \(kernelSize.1))")
  }
  // Integer and bool inputs are pooled in float64 (as im2col would convert them), so that the
  // -inf fill of a max pool is representable.
  let source = input.dtype.isInexact ? input : try cast(input, to: .float64)
  let padded = try padSpatial(source, [(padding.0, padding.0), (padding.1, padding.1)], value: fill)
  let geometry = WindowGeometry(kernel: kernelSize, stride: stride, dilation: (1, 1))
  let (ho, wo) = (geometry.outputSize(padded.shape[2], 0), geometry.outputSize(padded.shape[3], 1))
  let columns = try im2col(padded, kernel: kernelSize, stride: stride)
  let (n, c) = (input.shape[0], input.shape[1])
  return try reshape(columns, [n, c, kernelSize.0 * kernelSize.1, ho, wo])
}

/// The mean over each kernelSize window of an (N, C, H, W) input, moved by `stride` (default:
/// the kernel size), after padding each spatial axis with `padding` zeros on both sides (at most
/// half the kernel), which count in the mean (PyTorch's default `count_include_pad=True`).
public func avgPool2d(
  _ input: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)
) throws -> Tensor {
  let windows = try poolingWindows(
    input, kernelSize: kernelSize, stride: stride, padding: padding, fill: 0, op: "avg_pool2d")
  return try mean(windows, axes: [2])
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let pooling: [Operation] = [
    Operation("avg_pool2d", "input, kernel_size: ints, stride: ints? = None, padding: ints = 0",
              "Mean over each window (zero padding counted, as PyTorch's default).", namespace: .functional) {
      [try avgPool2d($0.tensor(0), kernelSize: $0.pair(1), stride: $0.optionalPair(2), padding: $0.pair(3))]
    },
  ]
}
