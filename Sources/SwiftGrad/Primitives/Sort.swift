/// Ordering: argsort, argmax/argmin (int64 results, no derivative) and the differentiable
/// sort and topk built on them. Values reach the output through `take_along_axis`, so their
/// gradient is the scatter of the cotangent back through the permutation.

/// NumPy's order for floats: NaN after everything (so argsort puts NaNs last and argmax picks
/// the first NaN, as NumPy does).
@inline(__always) func orderedBefore<T: Comparable>(_ a: T, _ b: T) -> Bool {
  if a != a { return false }
  if b != b { return true }
  return a < b
}

/// Walks the 1-D lanes along `axis` of `x` (converted to T): `body(values, count, lane)`
/// with values read contiguously, lane numbered in the row-major order of the other axes.
func forEachLane<T: NumericElement>(_ x: Tensor, axis: Int, _: T.Type,
  _ body: (UnsafeMutablePointer<T>, Int, Int) throws -> Void) throws {
  let others = x.shape.indices.filter { $0 != axis }
  let dense = try x.converted(to: T.dtype).permutedView(others + [axis]).densified()
  let n = x.shape[axis]
  let lanes = n == 0 ? 0 : dense.count / n
  let p = dense.pointer(T.self)
  for lane in 0..<lanes { try body(p + lane * n, n, lane) }
}

/// Writes a lane-major int64 result (lanes x m) back into the layout with the result axis at
/// `axis`.
func laneResult(_ data: Tensor, shape: [Int], axis: Int) throws -> Tensor {
  var permuted = shape
  let m = permuted.remove(at: axis)
  let lanes = data.reshapedView(permuted + [m])!
  var perm = Array(0..<(shape.count - 1))
  perm.insert(shape.count - 1, at: axis)
  return try lanes.permutedView(perm).densified()
}

/// Stable argsort along `axis` (descending keeps equal elements in index order too).
public struct ArgSort: Primitive {
  public static let name = "argsort"
  public static var isDifferentiable: Bool { false }
  public let axis: Int
  public let descending: Bool
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    let outShape = x.shape.indices.filter { $0 != axis }.map { x.shape[$0] } + [x.shape[axis]]
    let out = try Tensor(uninitializedShape: outShape, dtype: .int64)
    let q = out.pointer(Int64.self)
    let descending = self.descending
    func run<T: NumericElement & Comparable>(_: T.Type) throws {
      try forEachLane(x, axis: axis, T.self) { v, n, lane in
        var order = Array(0..<n)
        order.sort { i, j in
          let (a, b) = (v[i], v[j])
          let before = descending ? orderedBefore(b, a) : orderedBefore(a, b)
          let after = descending ? orderedBefore(a, b) : orderedBefore(b, a)
          return before || (!after && i < j)
        }
        for k in 0..<n { q[lane * n + k] = Int64(order[k]) }
      }
    }
    switch x.dtype {
    case .float32: try run(Float.self)
    case .float64: try run(Double.self)
    case .int64, .bool: try run(Int64.self)
    default: throw storageOnly(x.dtype)
    }
    return try laneResult(out, shape: x.shape, axis: axis)
  }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor) throws -> [Tensor?] { [nil] }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? { nil }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) { try apply(ArgSort(axis: axis + 1, descending: descending), [$0]) }
  }
}

/// Index of the first maximum (or minimum) along `axis`; NaN counts as the extreme.
public struct ArgExtremum: Primitive {
  public static let name = "argmax"
  public static var isDifferentiable: Bool { false }
  public let axis: Int
  public let isMax: Bool
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    var shape = x.shape
    shape.remove(at: axis)
    let out = try Tensor(uninitializedShape: shape, dtype: .int64)
    let q = out.pointer(Int64.self)
    let isMax = self.isMax
    func run<T: NumericElement & Comparable>(_: T.Type) throws {
      try forEachLane(x, axis: axis, T.self) { v, n, lane in
        var best = 0
        for k in 1..<Swift.max(n, 1) {
          if v[best] != v[best] { break }
          if v[k] != v[k] || (isMax ? v[k] > v[best] : v[k] < v[best]) { best = k }
        }
        q[lane] = Int64(best)
      }
    }
    switch x.dtype {
    case .float32: try run(Float.self)
    case .float64: try run(Double.self)
    case .int64, .bool: try run(Int64.self)
    default: throw storageOnly(x.dtype)
    }
    return out
  }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor) throws -> [Tensor?] { [nil] }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? { nil }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) { try apply(ArgExtremum(axis: axis + 1, isMax: isMax), [$0]) }
  }
}

/// NumPy's `argmax`/`argmin`: axis nil searches the flattened array; keepdims keeps the
/// searched axes as size 1.
func argExtremum(_ x: Tensor, axis: Int?, keepDims: Bool, isMax: Bool) throws -> Tensor {
  let op = isMax ? "argmax" : "argmin"
  let (v, a) = try scanOperand(x, axis, op: op)
  guard v.shape[a] > 0 else {
    throw SGError.value("\(op): attempt to get \(op) of an empty sequence (shape \(describe(x.shape)))")
  }
  let out = try apply(ArgExtremum(axis: a, isMax: isMax), [v])
  guard keepDims else { return out }
  return try reshape(out, axis == nil ? [Int](repeating: 1, count: x.ndim) : keptShape(x.shape, axes: [a]))
}
public func argmax(_ x: Tensor, axis: Int? = nil, keepDims: Bool = false) throws -> Tensor {
  try argExtremum(x, axis: axis, keepDims: keepDims, isMax: true)
}
public func argmin(_ x: Tensor, axis: Int? = nil, keepDims: Bool = false) throws -> Tensor {
  try argExtremum(x, axis: axis, keepDims: keepDims, isMax: false)
}

/// Stable argsort (NumPy's `kind='stable'`); axis nil sorts the flattened array.
public func argsort(_ x: Tensor, axis: Int? = -1, descending: Bool = false) throws -> Tensor {
  let (v, a) = try scanOperand(x, axis, op: "argsort")
  return try apply(ArgSort(axis: a, descending: descending), [v])
}

/// Sorted values; differentiable (the gradient follows each value to where it came from).
public func sort(_ x: Tensor, axis: Int? = -1, descending: Bool = false) throws -> Tensor {
  let (v, a) = try scanOperand(x, axis, op: "sort")
  return try takeAlongAxis(v, apply(ArgSort(axis: a, descending: descending), [v]), axis: a)
}

/// The `k` largest (or smallest) entries along `axis`, sorted, and their indices (PyTorch's
/// `topk`); equal values keep index order.
public func topk(_ x: Tensor, k: Int, axis: Int = -1, largest: Bool = true) throws -> (values: Tensor,
  indices: Tensor) {
  guard x.ndim > 0 else { throw SGError.value("topk: expected an array with at least one dimension, got a 0-d array") }
  let a = try normalizeAxis(axis, ndim: x.ndim, op: "topk")
  guard k >= 0 && k <= x.shape[a] else {
    throw SGError.value(
      "topk: k = \(k) is out of range for axis \(a) of size \(x.shape[a]) (shape \(describe(x.shape)))")
  }
  let order = try apply(ArgSort(axis: a, descending: largest), [x])
  let indices = try sliceAxis(order, axis: a, start: 0, count: k)
  return (try takeAlongAxis(x, indices, axis: a), indices)
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let ordering: [Operation] = [
    Operation("argmax", "a, axis: int? = None, *, keepdims: bool = False", "int64 index of the first maximum.",
              method: "argmax", differentiable: false) {
      [try argmax($0.tensor(0), axis: $0.optionalInt(1), keepDims: $0.bool(2))]
    },
    Operation("argmin", "a, axis: int? = None, *, keepdims: bool = False", "int64 index of the first minimum.",
              method: "argmin", differentiable: false) {
      [try argmin($0.tensor(0), axis: $0.optionalInt(1), keepDims: $0.bool(2))]
    },
    Operation("sort", "a, axis: int? = -1, *, descending: bool = False",
              "Stable sort along axis (None: the flattened array), differentiable in the values.") {
      [try sort($0.tensor(0), axis: $0.optionalInt(1), descending: $0.bool(2))]
    },
    Operation("argsort", "a, axis: int? = -1, *, descending: bool = False", "int64 indices of a stable sort.",
              method: "argsort", differentiable: false) {
      [try argsort($0.tensor(0), axis: $0.optionalInt(1), descending: $0.bool(2))]
    },
    Operation("topk", "x, k: int, axis: int = -1, largest: bool = True",
              "(values, indices) of the k largest (or smallest) along axis, sorted.", method: "topk",
              result: .tuple) {
      let (values, indices) = try topk($0.tensor(0), k: $0.int(1), axis: $0.int(2), largest: $0.bool(3))
      return [values, indices]
    },
  ]
}
