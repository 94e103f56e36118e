/// NumPy's shape functions built from existing primitives. None has a rule of its
/// own: flips are strided views (BasicIndex), tile/repeat broadcast then reshape, roll is two
/// slices concatenated, pad embeds into a filled array or gathers with `take`, tril/triu mask
/// with `where`.

/// Integer values of a small parameter tensor (repeats, pad widths), checking the dtype.
func integerValues(_ t: Tensor, _ what: String) throws -> [Int] {
  guard t.dtype.isInteger || t.dtype == .bool else {
    throw SGError.type("\(what) must be integers, got \(t.dtype)")
  }
  let dense = try t.converted(to: .int64).densified()
  let p = dense.pointer(Int64.self)
  return (0..<dense.count).map { Int(p[$0]) }
}

/// a * b or a + b, throwing instead of trapping on overflow (sizes come from the user).
func checkedSize(_ a: Int, _ b: Int, _ op: String, multiply: Bool = true) throws -> Int {
  let (r, overflow) = multiply ? a.multipliedReportingOverflow(by: b) : a.addingReportingOverflow(b)
  guard !overflow else {
    throw SGError.value("\(op): the result would be too large (\(a) \(multiply ? "*" : "+") \(b))")
  }
  return r
}

/// Reverses the order of elements along `axes` (all axes when nil): a view, no copy.
public func flip(_ x: Tensor, axes: [Int]? = nil) throws -> Tensor {
  let a = try normalizeAxes(axes, ndim: x.ndim, op: "flip")
  if a.isEmpty { return x }
  let items: [ResolvedIndex] = x.shape.indices.map { d in
    a.contains(d)
      ? .range(start: Swift.max(x.shape[d] - 1, 0), step: -1, count: x.shape[d])
      : .range(start: 0, step: 1, count: x.shape[d])
  }
  return try apply(BasicIndex(items: items), [x])
}

/// Shifts elements along `axes` cyclically (NumPy's `roll`); with no axes the array is rolled
/// flat and reshaped back. `shifts` and `axes` broadcast against each other.
public func roll(_ x: Tensor, shifts: [Int], axes: [Int]? = nil) throws -> Tensor {
  guard let axes else {
    guard shifts.count == 1 else {
      throw SGError.value("roll: with axis=None the shift must be a single integer, got \(shifts)")
    }
    return try reshape(roll(reshape(x, [-1]), shifts: shifts, axes: [0]), x.shape)
  }
  // NumPy broadcasts shift against axis: equal lengths, or one of them a single value.
  let pairs: Int
  if shifts.count == axes.count {
    pairs = shifts.count
  } else if shifts.count == 1 || axes.count == 1 {
    pairs = shifts.count == 1 ? axes.count : shifts.count
  } else {
    throw SGError.value("roll: shift \(shifts) and axis \(axes) could not be broadcast together")
  }
  var total = [Int](repeating: 0, count: x.ndim)
  for i in 0..<pairs {
    let a = try normalizeAxis(axes[axes.count == 1 ? 0 : i], ndim: x.ndim, op: "roll")
    let n = x.shape[a]
    if n > 0 { total[a] = (total[a] + shifts[shifts.count == 1 ? 0 : i] % n + n) % n }
  }
  var out = x
  for a in 0..<x.ndim where total[a] != 0 {
    let (n, s) = (x.shape[a], total[a])
    out = try concatenate([sliceAxis(out, axis: a, start: n - s, count: s),
      sliceAxis(out, axis: a, start: 0, count: n - s)], axis: a)
  }
  return out
}

/// Moves axes `source` to positions `destination`, the others keeping their order (NumPy's
/// `moveaxis`); a transposed view.
public func moveaxis(_ x: Tensor, source: [Int], destination: [Int]) throws -> Tensor {
  guard source.count == destination.count else {
    throw SGError.value(
      "moveaxis: `source` and `destination` arguments must have the same number of elements (\(source.count) and " +
      "\(destination.count))")
  }
  let s = try source.map { try normalizeAxis($0, ndim: x.ndim, op: "moveaxis") }
  let d = try destination.map { try normalizeAxis($0, ndim: x.ndim, op: "moveaxis") }
  guard Set(s).count == s.count, Set(d).count == d.count else {
    throw SGError.value("moveaxis: repeated axis in `source` \(source) or `destination` \(destination)")
  }
  var order = (0..<x.ndim).filter { !s.contains($0) }
  for (dest, src) in zip(d, s).sorted(by: { $0.0 < $1.0 }) { order.insert(src, at: dest) }
  return try transpose(x, order)
}

/// Exchanges two axes (a transposed view).
public func swapaxes(_ x: Tensor, _ axis1: Int, _ axis2: Int) throws -> Tensor {
  let a = try normalizeAxis(axis1, ndim: x.ndim, op: "swapaxes")
  let b = try normalizeAxis(axis2, ndim: x.ndim, op: "swapaxes")
  var perm = Array(0..<x.ndim)
  perm.swapAt(a, b)
  return try transpose(x, perm)
}

/// The elements as a 1-D tensor: a view when the layout allows (NumPy's `ravel`).
public func ravel(_ x: Tensor) throws -> Tensor { try reshape(x, [-1]) }

/// The elements as a new 1-D tensor, always a copy (NumPy's `ndarray.flatten`).
public func flatten(_ x: Tensor) throws -> Tensor {
  let flat = try reshape(x, [-1])
  return flat.storage === x.storage ? try copy(flat) : flat
}

/// NumPy's `tile`: `x` repeated `reps[i]` times along axis i (both right-aligned). The input
/// is viewed as (1, d0, 1, d1, ...), broadcast to (r0, d0, r1, d1, ...) and reshaped: one copy.
public func tile(_ x: Tensor, reps: [Int]) throws -> Tensor {
  guard !reps.contains(where: { $0 < 0 }) else {
    throw SGError.value("tile: negative repetitions are not allowed (reps \(reps))")
  }
  let d = Swift.max(x.ndim, reps.count)
  let shape = [Int](repeating: 1, count: d - x.ndim) + x.shape
  let r = [Int](repeating: 1, count: d - reps.count) + reps
  let result = try zip(r, shape).map { try checkedSize($0, $1, "tile") }
  try checkShape(result, "tile", itemSize: x.dtype.itemSize)
  let interleaved = try reshape(x, shape.flatMap { [1, $0] })
  return try reshape(broadcastTo(interleaved, zip(r, shape).flatMap { [$0, $1] }), result)
}

/// NumPy's `repeat`: each element repeated `repeats` times (one count for all, or one per
/// element along `axis`); axis nil works on the flattened array. A uniform count broadcasts
/// a new axis and reshapes; per-element counts gather with `take`.
public func repeatElements(_ x: Tensor, repeats: [Int], axis: Int?) throws -> Tensor {
  let (v, a) = try scanOperand(x, axis, op: "repeat")
  guard !repeats.contains(where: { $0 < 0 }) else {
    throw SGError.value("repeat: negative dimensions are not allowed (repeats \(repeats))")
  }
  let n = v.shape[a]
  if repeats.count == 1 {
    var shape = v.shape
    shape.insert(1, at: a + 1)
    var stretched = shape
    stretched[a + 1] = repeats[0]
    var result = v.shape
    result[a] = try checkedSize(n, repeats[0], "repeat")
    try checkShape(result, "repeat", itemSize: x.dtype.itemSize)
    return try reshape(broadcastTo(reshape(v, shape), stretched), result)
  }
  guard repeats.count == n else {
    throw SGError.value("repeat: operands could not be broadcast together with shape (\(n),) (\(repeats.count),)")
  }
  let total = try repeats.reduce(0) { try checkedSize($0, $1, "repeat", multiply: false) }
  var result = v.shape
  result[a] = total
  try checkShape(result, "repeat", itemSize: x.dtype.itemSize)
  try checkShape([total], "repeat")  // the index vector, int64
  let indices = try Tensor(uninitializedShape: [total], dtype: .int64)
  let p = indices.pointer(Int64.self)
  var k = 0
  for (i, r) in repeats.enumerated() {
    for _ in 0..<r { p[k] = Int64(i); k += 1 }
  }
  return try take(v, indices, axis: a)
}

/// `repeat` with the counts as an integer tensor (0-d: one count for all; 1-d: per element).
public func repeatElements(_ x: Tensor, repeats: Tensor, axis: Int?) throws -> Tensor {
  guard repeats.ndim <= 1 else {
    throw SGError.value("repeat: repeats must be an integer or a 1-d sequence, got shape \(describe(repeats.shape))")
  }
  return try repeatElements(x, repeats: integerValues(repeats, "repeat: repeats"), axis: axis)
}

/// NumPy's `pad` modes that gather from the array itself.
public enum PadMode: String, CaseIterable, Sendable {
  case constant, reflect, symmetric, edge, wrap

  /// The source index for position p (may be outside 0..<n) along an axis of size n > 0.
  func source(_ p: Int, _ n: Int) -> Int {
    func mod(_ a: Int, _ m: Int) -> Int { ((a % m) + m) % m }
    switch self {
    case .constant, .edge: return Swift.min(Swift.max(p, 0), n - 1)
    case .wrap: return mod(p, n)
    case .symmetric:
      let j = mod(p, 2 * n)
      return j < n ? j : 2 * n - 1 - j
    case .reflect:
      if n == 1 { return 0 }
      let j = mod(p, 2 * (n - 1))
      return j < n ? j : 2 * (n - 1) - j
    }
  }
}

/// NumPy's `pad`. `padWidth` is an int64 tensor broadcastable to (ndim, 2): (before, after)
/// per axis. 'constant' fills with `value`; the other modes take from the array.
public func pad(_ x: Tensor, _ padWidth: Tensor, mode: String = "constant", value: Double = 0) throws -> Tensor {
  guard let m = PadMode(rawValue: mode) else {
    throw SGError.value("pad: mode '\(mode)' is not supported; expected one of \(PadMode.allCases.map(\.rawValue))")
  }
  let target = [x.ndim, 2]
  guard padWidth.ndim <= 2, (try? broadcastShapes(padWidth.shape, target)) == target else {
    throw SGError.value(
      "pad: pad_width of shape \(describe(padWidth.shape)) cannot be broadcast to (\(x.ndim), 2) for an array of " +
      "shape \(describe(x.shape))")
  }
  let widths = try integerValues(padWidth.broadcastView(to: target), "pad: pad_width")
  guard !widths.contains(where: { $0 < 0 }) else {
    throw SGError.value("pad: pad_width can't contain negative values (got \(widths))")
  }
  let outShape = try x.shape.indices.map {
    try checkedSize(checkedSize(x.shape[$0], widths[2 * $0], "pad", multiply: false), widths[2 * $0 + 1], "pad",
      multiply: false)
  }
  try checkShape(outShape, "pad", itemSize: x.dtype.itemSize)
  if outShape == x.shape { return x }
  if m == .constant {
    let items: [ResolvedIndex] = x.shape.indices.map { .range(start: widths[2 * $0], step: 1, count: x.shape[$0]) }
    if value == 0 { return try apply(IndexEmbed(items: items, shape: outShape), [x]) }
    return try apply(IndexPut(items: items), [full(outShape, value, dtype: x.dtype), x])
  }
  var out = x
  for d in 0..<x.ndim where outShape[d] != x.shape[d] {
    let (n, before) = (x.shape[d], widths[2 * d])
    guard n > 0 else {
      throw SGError.value(
        "pad: can't extend empty axis \(d) using modes other than 'constant' (shape \(describe(x.shape)))")
    }
    try checkShape([outShape[d]], "pad")  // the index vector, int64
    let indices = try Tensor(uninitializedShape: [outShape[d]], dtype: .int64)
    let p = indices.pointer(Int64.self)
    for i in 0..<outShape[d] { p[i] = Int64(m.source(i - before, n)) }
    out = try take(out, indices, axis: d)
  }
  return out
}

/// Lower (tril) or upper (triu) triangle of the last two axes, the rest zeroed; `k` shifts
/// the diagonal (> 0: above). A 1-D input is treated as the rows of a square matrix, as NumPy.
func triangle(_ x: Tensor, k: Int, lower: Bool) throws -> Tensor {
  let op = lower ? "tril" : "triu"
  guard x.ndim >= 1 else {
    throw SGError.value("\(op): expected an array with at least one dimension, got a 0-d array")
  }
  try checkOffset(k, op)
  let (rows, cols) = x.ndim == 1 ? (x.shape[0], x.shape[0]) : (x.shape[x.ndim - 2], x.shape[x.ndim - 1])
  try checkShape([rows, cols], op, itemSize: 1)
  let mask = try Tensor(uninitializedShape: [rows, cols], dtype: .bool)
  let p = mask.pointer(Bool.self)
  for i in 0..<rows {
    for j in 0..<cols { p[i * cols + j] = lower ? j - i <= k : j - i >= k }
  }
  return try `where`(mask, x, full([], 0, dtype: x.dtype))
}
public func tril(_ x: Tensor, k: Int = 0) throws -> Tensor { try triangle(x, k: k, lower: true) }
public func triu(_ x: Tensor, k: Int = 0) throws -> Tensor { try triangle(x, k: k, lower: false) }

/// NumPy's `meshgrid`: coordinate arrays from 1-D vectors (inputs are flattened).
/// indexing "xy" (Cartesian) swaps the first two output axes; "ij" is matrix indexing. The
/// results are broadcast views (NumPy's copy=False), so they share memory with the inputs.
public func meshgrid(_ xs: [Tensor], indexing: String = "xy") throws -> [Tensor] {
  guard indexing == "xy" || indexing == "ij" else {
    throw SGError.value("meshgrid: valid values for `indexing` are 'xy' and 'ij', got '\(indexing)'")
  }
  let flat = try xs.map { try reshape($0, [-1]) }
  var shape = flat.map { $0.count }
  let swap = indexing == "xy" && xs.count >= 2
  if swap { shape.swapAt(0, 1) }
  try checkShape(shape, "meshgrid")
  return try flat.enumerated().map { i, v in
    var dims = [Int](repeating: 1, count: xs.count)
    dims[swap && i < 2 ? 1 - i : i] = v.count
    return try broadcastTo(reshape(v, dims), shape)
  }
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let shapeComposites: [Operation] = [
    Operation("flip", "m, axis: ints? = None", "Elements reversed along axis (all axes for None); a view.") {
      [try flip($0.tensor(0), axes: $0.optionalInts(1))]
    },
    Operation("roll", "a, shift: ints, axis: ints? = None",
      "Elements shifted cyclically (None: the flattened array).") {
      [try roll($0.tensor(0), shifts: $0.ints(1), axes: $0.optionalInts(2))]
    },
    Operation("moveaxis", "a, source: ints, destination: ints", "Axes moved to new positions; a view.") {
      [try moveaxis($0.tensor(0), source: $0.ints(1), destination: $0.ints(2))]
    },
    Operation("swapaxes", "a, axis1: int, axis2: int", "Two axes exchanged; a view.", method: "swapaxes") {
      [try swapaxes($0.tensor(0), $0.int(1), $0.int(2))]
    },
    .unary("ravel", "The elements as a 1-D tensor, a view when the layout allows.", method: true, parameter: "a",
      ravel),
    .unary("flatten", "The elements as a new 1-D tensor, always a copy.", method: true, parameter: "a", flatten),
    Operation("tile", "A, reps: ints", "A repeated reps times along each axis (NumPy's tile).") {
      [try tile($0.tensor(0), reps: $0.ints(1))]
    },
    Operation("repeat", "a, repeats, axis: int? = None",
              "Each element repeated (NumPy's repeat, not PyTorch's tiling repeat).", method: "repeat") {
      [try repeatElements($0.tensor(0), repeats: $0.tensor(1), axis: $0.optionalInt(2))]
    },
    Operation("pad", "array, pad_width, mode: str = 'constant', constant_values: float = 0",
              "Padded array; modes constant, reflect, symmetric, edge, wrap.") {
      [try pad($0.tensor(0), $0.tensor(1), mode: $0.string(2), value: $0.float(3))]
    },
    Operation("tril", "m, k: int = 0", "Lower triangle of the last two axes, the rest zero.", method: "tril") {
      [try tril($0.tensor(0), k: $0.int(1))]
    },
    Operation("triu", "m, k: int = 0", "Upper triangle of the last two axes, the rest zero.", method: "triu") {
      [try triu($0.tensor(0), k: $0.int(1))]
    },
    Operation("meshgrid", "xi: *tensors, indexing: str = 'xy'",
              "Coordinate grids (broadcast views) from 1-D coordinate arrays.", result: .tuple) {
      let indexing = try $0.string(1)
      guard indexing == "xy" || indexing == "ij" else {
        throw SGError.value("meshgrid: valid values for `indexing` are 'xy' and 'ij', got '\(indexing)'")
      }
      return try meshgrid($0.tensors(0), indexing: indexing)
    },
  ]
}
