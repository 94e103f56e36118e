/// Picking by integer labels and finding non-zero elements: `oneHot` and `embedding` are
/// compositions (a comparison, a `take`); `nonzero` and `argwhere` read the values, since
/// the size of their result depends on them.

/// One-hot rows of int64 `labels`: shape labels.shape + [numClasses], 1 where the class
/// index equals the label. A nil or negative `numClasses` means max(labels) + 1 (0 for no
/// labels), as PyTorch's -1. Labels must lie in [0, numClasses). The result is `dtype`
/// (float64 unless asked otherwise: it is usually multiplied with floating tensors).
/// Built from a comparison, so it is recorded by graph mode.
public func oneHot(_ labels: Tensor, numClasses: Int? = nil, dtype: DType = .float64) throws -> Tensor {
  guard labels.dtype == .int64 else {
    throw SGError.type("one_hot: labels must be integers, got dtype \(labels.dtype)")
  }
  let values = try integerValues(labels, "one_hot: labels")
  let (low, high) = (values.min(), values.max())
  var classes = numClasses ?? -1
  if classes < 0 { classes = try high.map { try checkedSize($0, 1, "one_hot", multiply: false) } ?? 0 }
  if let low, let high, low < 0 || high >= classes {
    throw SGError.value("one_hot: labels must be in [0, \(classes)), got values from \(low) to \(high)")
  }
  return try oneHotRows(labels, classes, dtype)
}

func oneHotRows(_ labels: Tensor, _ classes: Int, _ dtype: DType) throws -> Tensor {
  try checkShape(labels.shape + [classes], "one_hot", itemSize: dtype.itemSize)
  let classIndices = try Tensor(uninitializedShape: [classes], dtype: .int64)
  let p = classIndices.pointer(Int64.self)
  for i in 0..<classes { p[i] = Int64(i) }
  return try cast(equal(expandDims(labels, axis: -1), classIndices), to: dtype)
}

/// The multi-indices of the non-zero (true, NaN included) elements of `x` in row-major
/// order, as (count, ndim) values; refuses graph recording (the count depends on the values).
func nonzeroPositions(_ x: Tensor, op: String) throws -> (positions: [Int], count: Int) {
  guard ProgramRecorder.current == nil else {
    throw SGError.runtime(
      "\(op): the result's size depends on the values, so it cannot be part of a recorded graph (sg.compile / "
        + "sg.Graph); call it outside the compiled function")
  }
  let mask = try x.converted(to: .bool).densified()
  let flags = mask.pointer(Bool.self)
  var positions: [Int] = []
  var found = 0
  var index = [Int](repeating: 0, count: x.ndim)
  for flat in 0..<x.count {
    if flags[flat] {
      positions += index
      found += 1
    }
    // Advance the multi-index (row-major: the last axis fastest).
    var axis = x.ndim - 1
    while axis >= 0 {
      index[axis] += 1
      if index[axis] < x.shape[axis] { break }
      index[axis] = 0
      axis -= 1
    }
  }
  return withExtendedLifetime(mask) { (positions, found) }
}

func int64Tensor(_ values: [Int], shape: [Int]) throws -> Tensor {
  let t = try Tensor(uninitializedShape: shape, dtype: .int64)
  let p = t.pointer(Int64.self)
  for (i, v) in values.enumerated() { p[i] = Int64(v) }
  return t
}

/// The indices of the non-zero elements of `x`, one int64 tensor per axis (NumPy's
/// `nonzero`). A 0-d input is refused, as NumPy 2 does. Not recordable in graph mode.
public func nonzero(_ x: Tensor) throws -> [Tensor] {
  guard x.ndim > 0 else {
    throw SGError.value(
      "nonzero: calling nonzero on 0d arrays is not allowed; use atleast_1d(scalar).nonzero() instead")
  }
  let (positions, count) = try nonzeroPositions(x, op: "nonzero")
  return try (0..<x.ndim).map { axis in
    try int64Tensor(stride(from: axis, to: positions.count, by: x.ndim).map { positions[$0] }, shape: [count])
  }
}

/// The indices of the non-zero elements as a (count, ndim) int64 tensor (NumPy's `argwhere`;
/// a 0-d input gives (1, 0) when it is non-zero, (0, 0) otherwise). Not recordable in graph mode.
public func argwhere(_ x: Tensor) throws -> Tensor {
  let (positions, count) = try nonzeroPositions(x, op: "argwhere")
  return try int64Tensor(positions, shape: [count, x.ndim])
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let selection: [Operation] = [
    // Hidden: nn.functional.one_hot turns dtype objects into codes and applies the default dtype.
    Operation("one_hot", "labels, num_classes: int = -1, dtype: int = 3",
              "Integer labels as one-hot rows (num_classes < 0: max + 1).", namespace: .hidden,
              differentiable: false) {
      let classes = try $0.int(1)
      return [try oneHot($0.tensor(0), numClasses: classes < 0 ? nil : classes, dtype: $0.dtype(2))]
    },
    Operation("nonzero", "a", "Indices of the non-zero elements, one int64 tensor per dimension (NumPy's).",
              result: .tuple, differentiable: false) { try nonzero($0.tensor(0)) },
    .unary("argwhere", "The indices of the non-zero elements as an (N, ndim) int64 tensor (NumPy's).",
           differentiable: false, parameter: "a", argwhere),
  ]
}
