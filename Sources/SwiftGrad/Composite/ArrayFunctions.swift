/// Functions of NumPy and the array API standard written from primitives (their derivatives,
/// batching and every other rule come from those): copysign, tensordot, vecdot, cumulative_sum,
/// broadcast_arrays, unstack, cross.

/// |x1| with the sign bit of x2 (NumPy's copysign; -0.0 and negative NaNs count as negative).
public func copysign(_ a: Tensor, _ b: Tensor) throws -> Tensor {
  let magnitude = try abs(cast(a, to: resultType(a, b).floatingPoint))
  let (minus, plus) = (try full([], -1, dtype: magnitude.dtype), try full([], 1, dtype: magnitude.dtype))
  return try mul(magnitude, `where`(signbit(b), minus, plus))
}

/// NumPy's tensordot with explicit axis lists: the sum over a's `axesA` paired with b's `axesB`;
/// the result's axes are a's remaining axes followed by b's.
public func tensordot(_ a: Tensor, _ b: Tensor, axesA: [Int], axesB: [Int]) throws -> Tensor {
  guard axesA.count == axesB.count else {
    throw SGError.value(
      "tensordot: \(axesA.count) axes of a (shape \(describe(a.shape))) paired with \(axesB.count) of b")
  }
  let ca = try axesA.map { try normalizeAxis($0, ndim: a.ndim, op: "tensordot") }
  let cb = try axesB.map { try normalizeAxis($0, ndim: b.ndim, op: "tensordot") }
  guard Set(ca).count == ca.count, Set(cb).count == cb.count else {
    throw SGError.value("tensordot: repeated axis in \(axesA) or \(axesB)")
  }
  for (i, j) in zip(ca, cb) where a.shape[i] != b.shape[j] {
    throw SGError.value(
      "tensordot: shape mismatch for sum: a \(describe(a.shape)) axis \(i) vs b \(describe(b.shape)) axis \(j)")
  }
  let freeA = (0..<a.ndim).filter { !ca.contains($0) }
  let freeB = (0..<b.ndim).filter { !cb.contains($0) }
  // Explicit sizes (not -1): a zero-size axis leaves -1 ambiguous.
  let k = try checkedElementCount(ca.map { a.shape[$0] }, "tensordot")
  let am = try reshape(transpose(a, freeA + ca), [checkedElementCount(freeA.map { a.shape[$0] }, "tensordot"), k])
  let bm = try reshape(transpose(b, cb + freeB), [k, checkedElementCount(freeB.map { b.shape[$0] }, "tensordot")])
  return try reshape(matmul(am, bm), freeA.map { a.shape[$0] } + freeB.map { b.shape[$0] })
}

/// The array API's vecdot: the dot product of x1 and x2 along `axis` (after broadcasting).
public func vecdot(_ a: Tensor, _ b: Tensor, axis: Int = -1) throws -> Tensor {
  let shape = try broadcastShapes(a.shape, b.shape)
  let axis = try normalizeAxis(axis, ndim: shape.count, op: "vecdot")
  let offsetA = a.ndim - shape.count + axis
  let offsetB = b.ndim - shape.count + axis
  guard offsetA >= 0, offsetB >= 0, a.shape[offsetA] == b.shape[offsetB] else {
    throw SGError.value(
      "vecdot: x1 \(describe(a.shape)) and x2 \(describe(b.shape)) must both have axis \(axis) of the same size")
  }
  let products = try mul(conjugated(a), b)  // the array API conjugates x1 (complex inputs)
  let total = try sum(products, axes: [axis])  // integers accumulate in int64: back to the promoted dtype
  return total.dtype == products.dtype ? total : try cast(total, to: products.dtype)
}

/// The array API's cumulative_sum: cumsum along `axis` (None only for 0-D or 1-D input), with
/// `includeInitial` a leading zero (the result one longer along the axis).
public func cumulativeSum(_ x: Tensor, axis: Int?, includeInitial: Bool = false) throws -> Tensor {
  guard let axis = axis ?? (x.ndim <= 1 ? 0 : nil) else {
    throw SGError.value("cumulative_sum: axis is required for \(x.ndim)-D input of shape \(describe(x.shape))")
  }
  let source = x.ndim == 0 ? try reshape(x, [1]) : x
  let a = try normalizeAxis(axis, ndim: source.ndim, op: "cumulative_sum")
  let summed = try cumsum(source, axis: a)
  guard includeInitial else { return summed }
  var zeroShape = source.shape
  zeroShape[a] = 1
  return try concatenate([zeros(zeroShape, dtype: summed.dtype), summed], axis: a)
}

/// The inputs broadcast against each other (views).
public func broadcastArrays(_ xs: [Tensor]) throws -> [Tensor] {
  let shape = try xs.reduce([Int]()) { try broadcastShapes($0, $1.shape) }
  return try xs.map { try broadcastTo($0, shape) }
}

/// The slices of x along `axis`, each without that axis (views).
public func unstack(_ x: Tensor, axis: Int = 0) throws -> [Tensor] {
  let a = try normalizeAxis(axis, ndim: x.ndim, op: "unstack")
  return try (0..<x.shape[a]).map { try squeeze(sliceAxis(x, axis: a, start: $0, count: 1), axes: [a]) }
}

/// The number of singular values above rtol * the largest (rtol defaults to max(m, n) * eps), per matrix.
public func matrixRank(_ x: Tensor, rtol: Double? = nil) throws -> Tensor {
  try matrixRank(x, rtol: rtol.map { try scalar($0) })
}

/// matrix_rank with `rtol` a tensor broadcasting against the batch shape x.shape[:-2] (one
/// tolerance per matrix, as the array API allows); nil: max(m, n) * eps.
public func matrixRank(_ x: Tensor, rtol: Tensor?) throws -> Tensor {
  try requireMatrices(x, "matrix_rank")
  let s = try apply(SVD(part: .second), [cast(x, to: x.dtype.floatingPoint)])
  let epsilon = s.dtype == .float32 ? Double(Float.ulpOfOne) : Double.ulpOfOne
  let relative = try rtol.map { try expandDims(cast($0, to: .float64), axis: -1) }
    ?? scalar(Double(Swift.max(x.shape[x.ndim - 2], x.shape[x.ndim - 1])) * epsilon)
  let tolerance = try mul(max(s, axes: [-1], keepDims: true), relative)
  return try sum(cast(greater(s, tolerance), to: .int64), axes: [-1])
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let arrayFunctions: [Operation] = [
    .binary("copysign", "Elementwise |x1| with the sign of x2.", copysign),
    Operation("_tensordot", "a, b, axes_a: ints, axes_b: ints",
              "tensordot with explicit axis lists (sg.tensordot takes NumPy's axes argument).",
              namespace: .hidden) {
      [try tensordot($0.tensor(0), $0.tensor(1), axesA: $0.ints(2), axesB: $0.ints(3))]
    },
    Operation("vecdot", "x1, x2, *, axis: int = -1", "Dot product along axis, with broadcasting.") {
      [try vecdot($0.tensor(0), $0.tensor(1), axis: $0.int(2))]
    },
    Operation("cumulative_sum", "x, *, axis: int? = None, include_initial: bool = False",
              "Running sum along axis, optionally starting with a zero (the array API's).") {
      [try cumulativeSum($0.tensor(0), axis: $0.optionalInt(1), includeInitial: $0.bool(2))]
    },
    Operation("cross", "x1, x2, *, axis: int = -1", "Cross product of 3-vectors along axis, with broadcasting.",
              namespace: .linalg) { [try cross($0.tensor(0), $0.tensor(1), axis: $0.int(2))] },
    Operation("matrix_rank", "x, rtol: tensor? = None",
              "Rank from the singular values above rtol * the largest (default max(m, n) * eps); rtol may be "
                + "one number or one per matrix.",
              namespace: .linalg, differentiable: false) {
      [try matrixRank($0.tensor(0), rtol: $0.optionalTensor(1))]
    },
    Operation("broadcast_arrays", "arrays: *tensors", "The inputs broadcast against each other (views).",
              result: .list) { try broadcastArrays($0.tensors(0)) },
    Operation("unstack", "x, axis: int = 0", "The slices along axis, each without it (views).", result: .tuple) {
      try unstack($0.tensor(0), axis: $0.int(1))
    },
  ]
}

/// The cross product of 3-vectors along `axis` (after broadcasting the other axes).
public func cross(_ a: Tensor, _ b: Tensor, axis: Int = -1) throws -> Tensor {
  guard a.ndim > 0, b.ndim > 0 else {
    throw SGError.value(
      "cross: inputs must have at least one dimension, got shapes \(describe(a.shape)) and \(describe(b.shape))")
  }
  let ax = try normalizeAxis(axis, ndim: a.ndim, op: "cross")
  let bx = try normalizeAxis(axis, ndim: b.ndim, op: "cross")
  guard a.shape[ax] == 3, b.shape[bx] == 3 else {
    throw SGError.value(
      "cross: axis \(axis) must have size 3 in both inputs, got shapes \(describe(a.shape)) and \(describe(b.shape))")
  }
  let (u, v) = (try moveaxis(a, source: [ax], destination: [-1]), try moveaxis(b, source: [bx], destination: [-1]))
  func part(_ t: Tensor, _ i: Int) throws -> Tensor {
    try squeeze(sliceAxis(t, axis: t.ndim - 1, start: i, count: 1), axes: [t.ndim - 1])
  }
  let (u0, u1, u2) = (try part(u, 0), try part(u, 1), try part(u, 2))
  let (v0, v1, v2) = (try part(v, 0), try part(v, 1), try part(v, 2))
  let components = [
    try sub(mul(u1, v2), mul(u2, v1)), try sub(mul(u2, v0), mul(u0, v2)), try sub(mul(u0, v1), mul(u1, v0)),
  ]
  let product = try stack(components, axis: -1)
  return try moveaxis(product, source: [-1], destination: [axis])
}
