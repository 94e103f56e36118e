/// Gathers whose indices are an *input* rather than an attribute: `take`, `take_along_axis` and
/// integer-array indexing. Indices computed by the program (argsort, labels fed to a loss) are
/// then part of the graph, so a recorded graph (graph mode) recomputes them on every run instead
/// of replaying the values seen while recording. Linear in the data; indices get no gradient.

/// Range-checks integer indices for an axis of `size` and wraps negatives (NumPy's rule), at run
/// time, so a replayed graph raises IndexError exactly as eager code does.
public struct NormalizeIndex: Primitive {
  public static let name = "normalize_index"
  public static var isDifferentiable: Bool { false }
  public let size: Int
  public let axis: Int

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let raw = try inputs[0].converted(to: .int64).densified()
    let out = try Tensor(uninitializedShape: raw.shape, dtype: .int64)
    let (src, dst) = (raw.pointer(Int64.self), out.pointer(Int64.self))
    for i in 0..<raw.count {
      let v = src[i]
      guard v >= -Int64(size) && v < Int64(size) else {
        throw SGError.index("index \(v) is out of bounds for axis \(axis) with size \(size)")
      }
      dst[i] = v < 0 ? v + Int64(size) : v
    }
    return withExtendedLifetime(raw) { out }
  }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor) throws -> [Tensor?] { [nil] }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? { nil }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) { (try apply(self, inputs), axes[0]) }
}

/// `x` gathered along `axis` at `indices` (input 1: int64, already normalised): output shape
/// x.shape[..<axis] + indices.shape + x.shape[(axis+1)...].
public struct DynamicTake: Primitive {
  public static let name = "take"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try linearTaylor(self, inputs, output: y, series: series)  // linear in its float inputs
  }
  public let axis: Int
  public func readsInput(_ index: Int, of inputs: [Tensor]) -> Bool { index == 1 }

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    try checkIndices(inputs[1], size: inputs[0].shape[axis], axis: axis)
    return try Take(indices: inputs[1].densified(), axis: axis).forward([inputs[0]])
  }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    [try apply(DynamicScatterAdd(axis: axis, size: inputs[0].shape[axis]), [g, inputs[1]]), nil]
  }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    try tangents[0].map { try apply(self, [$0, inputs[1]]) }
  }

  /// Batched indices into shared data gather once, the batch axis landing where the indices
  /// go. Batched data: every example's data is stacked into one axis of B * S entries and
  /// example b's indices are offset by b * S, so one gather serves the whole batch.
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    guard let indexAxis = axes[1] else {
      return try Batching.shifted(inputs[0], axes[0]) { try apply(DynamicTake(axis: axis + 1), [$0, inputs[1]]) }
    }
    if axes[0] == nil {  // an embedding table shared by the examples is never copied
      return (try apply(self, [inputs[0], Batching.front(inputs[1], indexAxis)]), axis)
    }
    let size = Batching.size(inputs, axes)
    let x = try moveAxis(Batching.materialized(inputs[0], axes[0], size: size), from: axis + 1, to: 1)
    let stacked = try Batching.mergeFront(x)
    let indices = try Batching.front(inputs[1], indexAxis)
    let flat = try add(indices, Batching.exampleOffsets(size, step: x.shape[1], rank: indices.ndim))
    let taken = try apply(DynamicTake(axis: 0), [stacked, flat])
    // [B, I..., pre..., post...] -> [B, pre..., I..., post...]
    let (n, pre) = (indices.ndim - 1, axis)
    let order = [0] + Array((1 + n)..<(1 + n + pre)) + Array(1..<(1 + n)) + Array((1 + n + pre)..<taken.ndim)
    return (try SwiftGrad.transpose(taken, order), 0)
  }
}

/// The transpose of `DynamicTake`: zeros with `size` entries along `axis`, plus the input's
/// slices added at the indices (repeated indices accumulate).
public struct DynamicScatterAdd: Primitive {
  public static let name = "scatter_add"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try linearTaylor(self, inputs, output: y, series: series)  // linear in its float inputs
  }
  public let axis: Int
  public let size: Int
  public func readsInput(_ index: Int, of inputs: [Tensor]) -> Bool { index == 1 }

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    try checkIndices(inputs[1], size: size, axis: axis)
    return try ScatterAdd(indices: inputs[1].densified(), axis: axis, size: size).forward([inputs[0]])
  }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    [try apply(DynamicTake(axis: axis), [g, inputs[1]]), nil]
  }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    try tangents[0].map { try apply(self, [$0, inputs[1]]) }
  }

  /// Batched indices: the transpose of `DynamicTake`'s rule, one scatter into B * size slots.
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    guard let indexAxis = axes[1] else {
      return try Batching.shifted(inputs[0], axes[0]) {
        try apply(DynamicScatterAdd(axis: axis + 1, size: size), [$0, inputs[1]])
      }
    }
    let batchSize = Batching.size(inputs, axes)
    let g = try Batching.materialized(inputs[0], axes[0], size: batchSize)  // [B, pre..., I..., post...]
    let indices = try Batching.front(inputs[1], indexAxis)
    let (n, pre) = (indices.ndim - 1, axis)
    let order = [0] + Array((1 + pre)..<(1 + pre + n)) + Array(1..<(1 + pre)) + Array((1 + pre + n)..<g.ndim)
    let moved = try SwiftGrad.transpose(g, order)  // [B, I..., pre..., post...]
    let rest = Array(moved.shape.dropFirst(1 + n))
    let flatG = try reshape(moved, [indices.count] + rest)
    let flat = try reshape(add(indices, Batching.exampleOffsets(batchSize, step: size, rank: indices.ndim)), [-1])
    let spread = try apply(DynamicScatterAdd(axis: 0, size: batchSize * size), [flatG, flat])
    return (try moveAxis(reshape(spread, [batchSize, size] + rest), from: 1, to: 1 + pre), 0)
  }
}

/// The kernels trust their indices: int64 and within 0..<size.
private func checkIndices(_ indices: Tensor, size: Int, axis: Int) throws {
  guard indices.dtype == .int64 else { throw SGError.index("indices must be integers, got \(indices.dtype)") }
  let dense = try indices.densified()
  let p = dense.pointer(Int64.self)
  for i in 0..<dense.count where p[i] < 0 || p[i] >= Int64(size) {
    throw SGError.index("index \(p[i]) is out of bounds for axis \(axis) with size \(size)")
  }
  withExtendedLifetime(dense) {}
}

/// Row-major offsets into an array of `shape` for every position of `indexShape`, with the
/// coordinate along `axis` taken from `indices` (checked at run time): the flat positions that
/// PyTorch's `gather`/`scatter_add` address. Recorded integer operations, so the indices may be
/// computed by the program.
private func flatOffsets(shape: [Int], indices: Tensor, axis a: Int) throws -> Tensor {
  let base = try offsetsOffAxis(positions: indices.shape, in: shape, axis: a)
  let along = try apply(NormalizeIndex(size: shape[a], axis: a), [indices])
  return try reshape(add(mul(along, integerScalar(contiguousStrides(shape)[a])), base), [-1])
}

/// For every position of a `positions`-shaped grid, the row-major offset into an array of
/// `shape` of the same position with the coordinate along `axis` set to 0 (dimensions of size 1
/// in `shape` broadcast). The constant part of gather/take_along_axis offsets.
func offsetsOffAxis(positions: [Int], in shape: [Int], axis a: Int) throws -> Tensor {
  let strides = contiguousStrides(shape)
  let gridStrides = contiguousStrides(positions)
  let base = try Tensor(uninitializedShape: positions, dtype: .int64)
  let p = base.pointer(Int64.self)
  for i in 0..<base.count {
    var rest = i
    var offset = 0
    for d in 0..<positions.count {
      let coordinate = rest / gridStrides[d]
      rest %= gridStrides[d]
      if d != a && shape[d] != 1 { offset += coordinate * strides[d] }
    }
    p[i] = Int64(offset)
  }
  return base
}

/// Checks PyTorch's shape rule: same rank, and index no larger than `shape` off the axis.
private func checkScatterShapes(_ op: String, _ shape: [Int], _ index: Tensor, axis: Int) throws -> Int {
  let a = try normalizeAxis(axis, ndim: shape.count, op: op)
  guard index.dtype.isInteger else { throw SGError.index("\(op): index must hold integers, got \(index.dtype)") }
  guard index.ndim == shape.count,
    zip(index.shape, shape).enumerated().allSatisfy({ $0.offset == a || $0.element.0 <= $0.element.1 })
  else {
    throw SGError.value(
      "\(op): index of shape \(describe(index.shape)) must have the rank of \(describe(shape)) and be no larger off " +
      "axis \(a)")
  }
  return a
}

/// PyTorch's `gather(x, axis, index)`: out[i][j][k] = x[i][index[i][j][k]][k] (for axis 1).
public func gather(_ x: Tensor, axis: Int, index: Tensor) throws -> Tensor {
  let a = try checkScatterShapes("gather", x.shape, index, axis: axis)
  let index = try asIndex(index)
  let offsets = try flatOffsets(shape: x.shape, indices: index, axis: a)
  return try reshape(apply(DynamicTake(axis: 0), [reshape(x, [-1]), offsets]), index.shape)
}

/// PyTorch's `scatter_add(x, axis, index, src)`, out of place: x plus src's entries (those at
/// index's positions) added at x[i][index[i][j][k]][k]; repeated targets accumulate.
public func scatterAdd(_ x: Tensor, axis: Int, index: Tensor, source: Tensor) throws -> Tensor {
  let a = try checkScatterShapes("scatter_add", x.shape, index, axis: axis)
  let index = try asIndex(index)
  guard source.ndim == index.ndim, zip(index.shape, source.shape).allSatisfy({ $0 <= $1 }) else {
    throw SGError.value(
      "scatter_add: src of shape \(describe(source.shape)) must cover index of shape \(describe(index.shape))")
  }
  let picked = try SwiftGrad.index(source, index.shape.map { IndexItem.slice(start: 0, stop: $0, step: 1) })
  let offsets = try flatOffsets(shape: x.shape, indices: index, axis: a)
  let spread = try apply(DynamicScatterAdd(axis: 0, size: x.count), [reshape(cast(picked, to: x.dtype), [-1]), offsets])
  return try add(x, reshape(spread, x.shape))
}

/// PyTorch's `index_add(x, axis, index, source)`, out of place: source's slices along `axis`
/// added to x's slices `index` (1-D); repeated indices accumulate.
public func indexAdd(_ x: Tensor, axis: Int, index: Tensor, source: Tensor) throws -> Tensor {
  guard x.ndim > 0 else {
    throw SGError.value("index_add: expected an array with at least one dimension, got a 0-d one")
  }
  let a = try normalizeAxis(axis, ndim: x.ndim, op: "index_add")
  guard index.dtype.isInteger, index.ndim == 1 else {
    throw SGError.index(
      "index_add: index must be a 1-D integer array, got \(index.dtype) of shape \(describe(index.shape))")
  }
  var expected = x.shape
  expected[a] = index.count
  guard source.shape == expected else {
    throw SGError.value("index_add: source of shape \(describe(source.shape)) must have shape \(describe(expected))")
  }
  let normalized = try apply(NormalizeIndex(size: x.shape[a], axis: a), [asIndex(index)])
  return try add(x, apply(DynamicScatterAdd(axis: a, size: x.shape[a]), [cast(source, to: x.dtype), normalized]))
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let scatters: [Operation] = [
    Operation("gather", "input, dim: int, index", "PyTorch's gather (out of place).") {
      [try gather($0.tensor(0), axis: $0.int(1), index: $0.tensor(2))]
    },
    Operation("scatter_add", "input, dim: int, index, src", "PyTorch's scatter_add, out of place.") {
      [try scatterAdd($0.tensor(0), axis: $0.int(1), index: $0.tensor(2), source: $0.tensor(3))]
    },
    Operation("index_add", "input, dim: int, index, source", "PyTorch's index_add, out of place.") {
      [try indexAdd($0.tensor(0), axis: $0.int(1), index: $0.tensor(2), source: $0.tensor(3))]
    },
  ]
}

/// Complex data: `take` moves elements of any dtype, and its transpose scatters over a real view
/// of the parts (Note [Complex dtypes]).
extension DynamicTake: ComplexElementMove {}
extension DynamicScatterAdd: ComplexPartwise {}
