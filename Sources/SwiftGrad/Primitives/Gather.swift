/// Integer-array selection along one axis (NumPy's `take`) and its transpose, the scatter-add.
/// Both are linear in the data; the indices are a fixed parameter. Indices were validated
/// (and made non-negative) by `take`, so the kernels cannot read out of range.
public struct Take: LinearPrimitive {
  public static let name = "take"
  public let indices: Tensor  // int64, values in 0..<size of `axis`
  public let axis: Int

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = try inputs[0].densified()
    let outer = x.shape[..<axis].reduce(1, *)
    let inner = x.shape[(axis + 1)...].reduce(1, *)
    let size = x.shape[axis]
    let out = try Tensor(uninitializedShape: Array(x.shape[..<axis]) + indices.shape + Array(x.shape[(axis + 1)...]),
      dtype: x.dtype)
    let denseIndices = try indices.densified()
    defer { withExtendedLifetime(denseIndices) {} }  // idx points into it
    let idx = denseIndices.pointer(Int64.self)
    let k = indices.count
    let bytes = x.dtype.itemSize
    for o in 0..<outer {
      for j in 0..<k {
        let src = x.baseAddress + ((o * size + Int(idx[j])) * inner) * bytes
        let dst = out.baseAddress + ((o * k + j) * inner) * bytes
        dst.copyMemory(from: src, byteCount: inner * bytes)
      }
    }
    return out
  }

  public func transpose(_ g: Tensor, input: Tensor) throws -> Tensor {
    try apply(ScatterAdd(indices: indices, axis: axis, size: input.shape[axis]), [g])
  }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) { try apply(Take(indices: indices, axis: axis + 1), [$0]) }
  }
}

/// Zeros with `size` entries along `axis`, plus the input's slices added at `indices`
/// (repeated indices accumulate): the transpose of `Take`.
public struct ScatterAdd: LinearPrimitive {
  public static let name = "scatter_add"
  public let indices: Tensor
  public let axis: Int
  public let size: Int

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let g = try inputs[0].densified()
    let k = indices.count
    let outer = g.shape[..<axis].reduce(1, *)
    let inner = g.shape[(axis + indices.ndim)...].reduce(1, *)
    let shape = Array(g.shape[..<axis]) + [size] + Array(g.shape[(axis + indices.ndim)...])
    let out = try zerosKernel(shape, dtype: g.dtype)
    let denseIndices = try indices.densified()
    defer { withExtendedLifetime(denseIndices) {} }  // idx points into it
    let idx = denseIndices.pointer(Int64.self)
    func run<T: FloatElement>(_: T.Type) {
      let src = g.pointer(T.self)
      let dst = out.pointer(T.self)
      for o in 0..<outer {
        for j in 0..<k {
          let s = src + (o * k + j) * inner
          let d = dst + (o * size + Int(idx[j])) * inner
          for i in 0..<inner { d[i] += s[i] }
        }
      }
    }
    switch g.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    default: throw SGError.type("scatter_add: expected a floating-point cotangent, got \(g.dtype)")
    }
    return out
  }

  public func transpose(_ g: Tensor, input: Tensor) throws -> Tensor {
    try apply(Take(indices: indices, axis: axis), [g])
  }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) {
      try apply(ScatterAdd(indices: indices, axis: axis + 1, size: size), [$0])
    }
  }
}

/// NumPy's `take(x, indices, axis)`: with no axis, `x` is flattened first. Negative indices
/// count from the end; out-of-range indices raise IndexError.
public func take(_ x: Tensor, _ indices: Tensor, axis: Int? = nil) throws -> Tensor {
  guard indices.dtype.isInteger else {
    throw SGError.index("take: indices must be integers, got \(indices.dtype)")
  }
  let indices = try asIndex(indices)
  let source = axis == nil ? try reshape(x, [-1]) : x
  guard source.ndim > 0 else { throw SGError.index("take: cannot index a 0-d array") }
  let a = try normalizeAxis(axis ?? 0, ndim: source.ndim, op: "take")
  let normalized = try apply(NormalizeIndex(size: source.shape[a], axis: a), [indices])
  return try apply(DynamicTake(axis: a), [source, normalized])
}

/// `take` along `axis` with indices shaped like `x` except along `axis` (NumPy's
/// `take_along_axis`): a flat `take` at offsets computed with recorded integer operations, so
/// the indices may be computed by the program (argsort, labels).
public func takeAlongAxis(_ x: Tensor, _ indices: Tensor, axis: Int) throws -> Tensor {
  let a = try normalizeAxis(axis, ndim: x.ndim, op: "take_along_axis")
  guard indices.ndim == x.ndim else {
    throw SGError.value(
      "take_along_axis: indices of shape \(describe(indices.shape)) must have as many dimensions as the array " +
      "\(describe(x.shape))")
  }
  guard indices.dtype.isInteger else {
    throw SGError.index("take_along_axis: indices must be integers, got \(indices.dtype)")
  }
  let indices = try asIndex(indices)
  for d in 0..<x.ndim where d != a && indices.shape[d] != x.shape[d] && indices.shape[d] != 1 && x.shape[d] != 1 {
    throw SGError.value(
      "take_along_axis: shape mismatch between array \(describe(x.shape)) and indices \(describe(indices.shape))")
  }
  var shape = indices.shape
  for d in 0..<x.ndim where d != a { shape[d] = Swift.max(indices.shape[d], x.shape[d]) }
  let base = try offsetsOffAxis(positions: shape, in: x.shape, axis: a)
  let along = try apply(NormalizeIndex(size: x.shape[a], axis: a), [broadcastTo(indices, shape)])
  let flat = try add(mul(along, integerScalar(contiguousStrides(x.shape)[a])), base)
  return try apply(DynamicTake(axis: 0), [reshape(x, [-1]), flat])
}

/// Complex cotangents scatter over a real view of their parts (linear: each part by itself).
extension ScatterAdd: ComplexPartwise {}

func integerScalar(_ v: Int) throws -> Tensor { try Tensor.int64Scalar(v) }

// MARK: Operation table (Note [One op table])
extension Operation {
  static let takes: [Operation] = [
    Operation("take", "a, indices, axis: int? = None", "Elements at indices along axis (None: of the flattened a).") {
      [try take($0.tensor(0), $0.tensor(1), axis: $0.optionalInt(2))]
    },
    Operation("take_along_axis", "a, indices, axis: int?",
              "Elements at per-position indices along axis (NumPy's take_along_axis).") {
      guard let axis = try $0.optionalInt(2) else {
        throw SGError.value("take_along_axis: axis=None is not supported; pass an axis")
      }
      return [try takeAlongAxis($0.tensor(0), $0.tensor(1), axis: axis)]
    },
  ]
}

/// An integer index tensor of any width as int64, the dtype the index kernels read.
func asIndex(_ t: Tensor) throws -> Tensor { t.dtype == .int64 || !t.dtype.isInteger ? t : try cast(t, to: .int64) }
