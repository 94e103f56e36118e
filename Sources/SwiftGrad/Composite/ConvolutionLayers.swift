/// Convolution layers (PyTorch's `conv1d`/`conv2d`) composed from `pad`, `im2col` and one
/// batched `matmul` (Note [Convolution by im2col]): no rules of their own, so every
/// derivative, to any order and in both modes, comes from those primitives.

/// How a convolution pads the spatial axes of its input (zeros on both sides of each axis).
public enum ConvolutionPadding: Equatable, Sendable {
  /// No padding.
  case valid
  /// Pads so that a stride-1 convolution keeps the spatial size: `dilation * (kernel - 1)`
  /// in total per axis, the odd element after (PyTorch's "same"; other strides are allowed).
  case same
  /// The same amount before and after each spatial axis: one value for all axes, or one per axis.
  case explicit([Int])
}

/// (before, after) padding per spatial axis, checked: `kernel` and `dilation` are per axis.
func convolutionPads(
  _ padding: ConvolutionPadding, kernel: [Int], dilation: [Int], op: String
) throws -> [(Int, Int)] {
  switch padding {
  case .valid:
    return kernel.map { _ in (0, 0) }
  case .same:
    return try zip(kernel, dilation).map { k, d in
      let total = try checkedSize(d, k - 1, op)
      return (total / 2, total - total / 2)
    }
  case .explicit(let amounts):
    guard amounts.count == 1 || amounts.count == kernel.count else {
      throw SGError.value("\(op): padding must be one value or \(kernel.count) values, got \(amounts)")
    }
    guard !amounts.contains(where: { $0 < 0 }) else {
      throw SGError.value("\(op): padding must be non-negative, got \(amounts)")
    }
    return kernel.indices.map { i in (amounts[amounts.count == 1 ? 0 : i], amounts[amounts.count == 1 ? 0 : i]) }
  }
}

/// Pads the two trailing (spatial) axes of an (N, C, H, W) tensor with `value`.
func padSpatial(_ x: Tensor, _ pads: [(Int, Int)], value: Double = 0) throws -> Tensor {
  if !pads.contains(where: { $0.0 != 0 || $0.1 != 0 }) { return x }
  let widths = [0, 0, 0, 0, pads[0].0, pads[0].1, pads[1].0, pads[1].1]
  let padWidth = try int64Tensor(widths, shape: [4, 2])  // exact: a Double would round huge widths
  return try pad(x, padWidth, mode: "constant", value: value)
}

func checkPositive(_ pair: (Int, Int), _ name: String, _ op: String) throws {
  guard pair.0 >= 1 && pair.1 >= 1 else {
    throw SGError.value("\(op): \(name) must be positive, got (\(pair.0), \(pair.1))")
  }
}

/// 2-D convolution (cross-correlation, as in PyTorch) of an (N, C, H, W) input with weights
/// (O, C / groups, kh, kw) and an optional bias of O elements; the result is (N, O, Ho, Wo) with
/// Ho = (H + padding - dilation * (kh - 1) - 1) / stride + 1 (and the same for Wo).
/// Integer inputs are convolved in float64.
public func conv2d(
  _ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
  padding: ConvolutionPadding = .valid, dilation: (Int, Int) = (1, 1), groups: Int = 1
) throws -> Tensor {
  try convolution2d(
    input, weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups, op: "conv2d")
}

func convolution2d(
  _ x: Tensor, _ w: Tensor, bias: Tensor?, stride: (Int, Int), padding: ConvolutionPadding,
  dilation: (Int, Int), groups: Int, op: String
) throws -> Tensor {
  guard x.ndim == 4 && w.ndim == 4 else {
    throw SGError.value(
      "\(op): expected input (N, C, H, W) and weight (O, C/groups, kh, kw), got \(describe(x.shape)) and "
        + "\(describe(w.shape))")
  }
  let (n, c) = (x.shape[0], x.shape[1])
  let (o, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
  guard groups >= 1, c % groups == 0, o % groups == 0, cg == c / groups else {
    throw SGError.value(
      "\(op): input with \(c) channels and weight \(describe(w.shape)) do not fit groups=\(groups) (weight must be "
        + "(O, C/groups, kh, kw) with O and C divisible by groups)")
  }
  try checkPositive((kh, kw), "the kernel size", op)
  try checkPositive(stride, "stride", op)
  try checkPositive(dilation, "dilation", op)
  if let bias, bias.count != o {
    throw SGError.value(
      "\(op): bias of shape \(describe(bias.shape)) does not have one element per output channel (\(o))")
  }
  let pads = try convolutionPads(padding, kernel: [kh, kw], dilation: [dilation.0, dilation.1], op: op)
  let padded = try padSpatial(x, pads)
  let geometry = WindowGeometry(kernel: (kh, kw), stride: stride, dilation: dilation)
  let (ho, wo) = (geometry.outputSize(padded.shape[2], 0), geometry.outputSize(padded.shape[3], 1))
  let columns = try im2col(padded, kernel: (kh, kw), stride: stride, dilation: dilation)
  // Each group's weights (O/groups, k) multiply that group's columns (k, L): one batched matmul.
  let k = cg * kh * kw
  let grouped = try reshape(columns, [n, groups, k, ho * wo])
  let product = try matmul(reshape(w, [groups, o / groups, k]), grouped)
  let out = try reshape(product, [n, o, ho, wo])
  guard let bias else { return out }
  return try add(out, reshape(bias, [1, o, 1, 1]))
}

/// 1-D convolution of an (N, C, L) input with weights (O, C / groups, k): a 2-D convolution of
/// height 1. Explicit padding is one value (both ends of the length axis).
public func conv1d(
  _ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: Int = 1,
  padding: ConvolutionPadding = .valid, dilation: Int = 1, groups: Int = 1
) throws -> Tensor {
  guard input.ndim == 3 && weight.ndim == 3 else {
    throw SGError.value(
      "conv1d: expected input (N, C, L) and weight (O, C/groups, k), got \(describe(input.shape)) and "
        + "\(describe(weight.shape))")
  }
  var planar = padding
  if case .explicit(let amounts) = padding {
    guard amounts.count == 1 else { throw SGError.value("conv1d: padding must be one value, got \(amounts)") }
    planar = .explicit([0, amounts[0]])
  }
  let out = try convolution2d(
    expandDims(input, axis: 2), expandDims(weight, axis: 2), bias: bias, stride: (1, stride), padding: planar,
    dilation: (1, dilation), groups: groups, op: "conv1d")
  return try squeeze(out, axes: [2])
}

// MARK: Operation table (Note [One op table])
extension Operation {
  /// 'valid', 'same', or one amount (or one per spatial axis) on both sides.
  static func convolutionPadding(_ arguments: OperationArguments, _ i: Int) throws -> ConvolutionPadding {
    guard let name = try arguments.optionalString(i) else { return .explicit(try arguments.ints(i)) }
    switch name {
    case "valid": return .valid
    case "same": return .same
    default: throw SGError.value("\(arguments.operation): padding must be 'valid', 'same' or ints, got '\(name)'")
    }
  }

  static let convolutions: [Operation] = [
    Operation("conv2d", "input, weight, bias: tensor? = None, stride: ints = 1, padding: ints|str = 0, "
                + "dilation: ints = 1, groups: int = 1",
              "2-D convolution (cross-correlation, as PyTorch) of (N, C, H, W) by (O, C/groups, kh, kw).",
              namespace: .functional) {
      [try conv2d($0.tensor(0), $0.tensor(1), bias: $0.optionalTensor(2), stride: $0.pair(3),
                  padding: convolutionPadding($0, 4), dilation: $0.pair(5), groups: $0.int(6))]
    },
    Operation("conv1d", "input, weight, bias: tensor? = None, stride: int = 1, padding: ints|str = 0, "
                + "dilation: int = 1, groups: int = 1",
              "1-D convolution of (N, C, L) by (O, C/groups, k).", namespace: .functional) {
      [try conv1d($0.tensor(0), $0.tensor(1), bias: $0.optionalTensor(2), stride: $0.int(3),
                  padding: convolutionPadding($0, 4), dilation: $0.int(5), groups: $0.int(6))]
    },
  ]
}
