/// Diagonals as strided views: `Diagonal` (NumPy's `diagonal`, a view with no copy) and its
/// transpose `DiagonalEmbed` (zeros with the diagonal set), which is also `diag` of a vector.

extension Tensor {
  /// The `offset` diagonal of the plane (axis1, axis2) as a view: both axes removed and the
  /// diagonal appended last, with stride stride1 + stride2 (NumPy's layout).
  func diagonalView(offset: Int, axis1: Int, axis2: Int) -> Tensor {
    let length = diagonalLength(shape, offset: offset, axis1: axis1, axis2: axis2)
    let kept = shape.indices.filter { $0 != axis1 && $0 != axis2 }
    let start = length == 0 ? 0 : (offset >= 0 ? offset * strides[axis2] : -offset * strides[axis1])
    return Tensor(
      storage: storage, shape: kept.map { shape[$0] } + [length],
      strides: kept.map { strides[$0] } + [strides[axis1] + strides[axis2]], offset: self.offset + start, dtype: dtype)
  }
}

func diagonalLength(_ shape: [Int], offset: Int, axis1: Int, axis2: Int) -> Int {
  let rows = shape[axis1] - Swift.max(0, -offset)
  let cols = shape[axis2] - Swift.max(0, offset)
  return Swift.max(0, Swift.min(rows, cols))
}

/// Offsets far beyond any dimension would overflow the index arithmetic.
func checkOffset(_ k: Int, _ op: String) throws {
  guard k > -(1 << 48) && k < (1 << 48) else { throw SGError.value("\(op): offset \(k) is out of range") }
}

public struct Diagonal: LinearPrimitive {
  public static let name = "diagonal"
  public let offset: Int
  public let axis1: Int
  public let axis2: Int
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    inputs[0].diagonalView(offset: offset, axis1: axis1, axis2: axis2)
  }
  public func transpose(_ g: Tensor, input: Tensor) throws -> Tensor {
    try apply(DiagonalEmbed(offset: offset, axis1: axis1, axis2: axis2, shape: input.shape), [g])
  }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) {
      try apply(Diagonal(offset: offset, axis1: axis1 + 1, axis2: axis2 + 1), [$0])
    }
  }
}

/// Zeros of `shape` whose (offset, axis1, axis2) diagonal holds the input (laid out as
/// `Diagonal` returns it).
public struct DiagonalEmbed: LinearPrimitive {
  public static let name = "diagonal_embed"
  public let offset: Int
  public let axis1: Int
  public let axis2: Int
  public let shape: [Int]
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let out = try zerosKernel(shape, dtype: inputs[0].dtype)
    copyInto(out.diagonalView(offset: offset, axis1: axis1, axis2: axis2), from: inputs[0])
    return out
  }
  public func transpose(_ g: Tensor, input: Tensor) throws -> Tensor {
    try apply(Diagonal(offset: offset, axis1: axis1, axis2: axis2), [g])
  }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) {
      try apply(DiagonalEmbed(offset: offset, axis1: axis1 + 1, axis2: axis2 + 1, shape: [$0.shape[0]] + shape), [$0])
    }
  }
}

/// NumPy's `diagonal(x, offset, axis1, axis2)`: a view (no copy); the diagonal is the last axis.
public func diagonal(_ x: Tensor, offset: Int = 0, axis1: Int = 0, axis2: Int = 1) throws -> Tensor {
  guard x.ndim >= 2 else {
    throw SGError.value("diagonal: the array must have at least two dimensions, got shape \(describe(x.shape))")
  }
  let a1 = try normalizeAxis(axis1, ndim: x.ndim, op: "diagonal")
  let a2 = try normalizeAxis(axis2, ndim: x.ndim, op: "diagonal")
  guard a1 != a2 else { throw SGError.value("diagonal: axis1 and axis2 cannot be the same (both \(a1))") }
  try checkOffset(offset, "diagonal")
  return try apply(Diagonal(offset: offset, axis1: a1, axis2: a2), [x])
}

/// NumPy's `diag`: a 1-D input becomes a square matrix with it on diagonal `k`; a 2-D input
/// gives its `k`-th diagonal.
public func diag(_ x: Tensor, k: Int = 0) throws -> Tensor {
  try checkOffset(k, "diag")
  switch x.ndim {
  case 1:
    let n = x.shape[0] + Swift.abs(k)
    try checkShape([n, n], "diag", itemSize: x.dtype.itemSize)
    return try apply(DiagonalEmbed(offset: k, axis1: 0, axis2: 1, shape: [n, n]), [x])
  case 2:
    return try diagonal(x, offset: k)
  default:
    throw SGError.value("diag: input must be 1- or 2-d, got shape \(describe(x.shape))")
  }
}

/// Sum of the `offset` diagonal of the (axis1, axis2) planes (NumPy's `trace`).
public func trace(_ x: Tensor, offset: Int = 0, axis1: Int = 0, axis2: Int = 1) throws -> Tensor {
  try sum(diagonal(x, offset: offset, axis1: axis1, axis2: axis2), axes: [-1])
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let diagonals: [Operation] = [
    Operation("diag", "v, k: int = 0", "A 1-D v on the k-th diagonal of a matrix, or the k-th diagonal of a 2-D v.") {
      [try diag($0.tensor(0), k: $0.int(1))]
    },
    Operation("diagonal", "a, offset: int = 0, axis1: int = 0, axis2: int = 1",
              "The offset diagonal of the (axis1, axis2) planes as the last axis; a view.", method: "diagonal") {
      [try diagonal($0.tensor(0), offset: $0.int(1), axis1: $0.int(2), axis2: $0.int(3))]
    },
    // Hidden: `sg.trace` is the Wengert-table tracer; this is `sg.linalg.trace` and `Tensor.trace`.
    Operation("trace", "a, offset: int = 0, axis1: int = 0, axis2: int = 1",
              "Sum along the diagonal (NumPy's trace).", namespace: .hidden, method: "trace") {
      [try trace($0.tensor(0), offset: $0.int(1), axis1: $0.int(2), axis2: $0.int(3))]
    },
  ]
}
