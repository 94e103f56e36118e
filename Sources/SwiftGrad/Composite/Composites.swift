/// Operations built from primitives: no rules of their own (every derivative, to any order,
/// comes from the primitives), except where a comment says why a fused primitive is used.

/// `x` clipped to [low, high] (either bound optional). The gradient passes where
/// low <= x <= high (as PyTorch's clamp), and to a tensor bound where it is active.
public func clip(_ x: Tensor, _ low: Tensor?, _ high: Tensor?) throws -> Tensor {
  var out = x
  if let low { out = try `where`(less(out, low), low, out) }
  if let high { out = try `where`(greater(out, high), high, out) }
  return out
}

/// Variance with NumPy's `ddof` (default 0: the population variance).
public func variance(_ x: Tensor, axes: [Int]? = nil, ddof: Double = 0, keepDims: Bool = false) throws -> Tensor {
  let a = try normalizeAxes(axes, ndim: x.ndim, op: "var")
  let n = a.reduce(1) { $0 * x.shape[$1] }
  let xf = try cast(x, to: x.dtype.floatingPoint)
  let centered = try sub(xf, mean(xf, axes: a, keepDims: true))
  // NumPy divides by max(n - ddof, 0): ddof >= n gives inf (or NaN), never a negative variance.
  // Complex: the mean of |x - mean|^2, a real result (NumPy's var).
  return try div(sum(squaredMagnitude(centered), axes: a, keepDims: keepDims), scalar(Swift.max(Double(n) - ddof, 0)))
}

/// Standard deviation, sqrt(variance).
public func standardDeviation(
  _ x: Tensor, axes: [Int]? = nil, ddof: Double = 0, keepDims: Bool = false
) throws -> Tensor {
  try sqrt(variance(x, axes: axes, ddof: ddof, keepDims: keepDims))
}

/// log(sum(exp(x))) over axes, stable: the maximum is subtracted first. The shift is taken
/// out of the graph (it cancels exactly), so derivatives of every order are those of the
/// unshifted formula; an all -inf slice gives -inf, not NaN.
public func logsumexp(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
  let a = try normalizeAxes(axes, ndim: x.ndim, op: "logsumexp")
  let xf = try cast(x, to: x.dtype.floatingPoint)
  let peak = try max(xf, axes: a, keepDims: true).detach()
  let shift = try `where`(equal(abs(peak), Double.infinity), full([], 0, dtype: xf.dtype), peak)
  let summed = try log(sum(exp(sub(xf, shift)), axes: a, keepDims: true))
  let result = try add(summed, shift)
  return keepDims ? result : try squeeze(result, axes: a)
}

public func softmax(_ x: Tensor, axis: Int = -1) throws -> Tensor {
  try exp(logSoftmax(x, axis: axis))
}

public func logSoftmax(_ x: Tensor, axis: Int = -1) throws -> Tensor {
  try sub(x, logsumexp(x, axes: [axis], keepDims: true))
}

/// NumPy's `dot`: products for scalars, matmul up to 2-D, and for N-D a sum over the last
/// axis of `a` and the second-to-last of `b`.
public func dot(_ a: Tensor, _ b: Tensor) throws -> Tensor {
  if a.ndim == 0 || b.ndim == 0 { return try mul(a, b) }
  if b.ndim == 1 || (a.ndim <= 2 && b.ndim <= 2) { return try matmul(a, b) }
  let k = a.shape[a.ndim - 1]
  guard b.shape[b.ndim - 2] == k else {
    throw SGError.value(
      "dot: shapes \(describe(a.shape)) and \(describe(b.shape)) not aligned: \(k) (dim \(a.ndim - 1)) != " +
      "\(b.shape[b.ndim - 2]) (dim \(b.ndim - 2))")
  }
  var perm = Array(0..<b.ndim)
  perm.remove(at: b.ndim - 2)
  perm.insert(b.ndim - 2, at: 0)
  let bMatrix = try reshape(transpose(b, perm), [k, -1])
  let product = try matmul(reshape(a, [-1, k]), bMatrix)
  return try reshape(product, Array(a.shape.dropLast()) + Array(b.shape.dropLast(2)) + [b.shape[b.ndim - 1]])
}

/// Outer product of the flattened inputs.
public func outer(_ a: Tensor, _ b: Tensor) throws -> Tensor {
  try mul(reshape(a, [-1, 1]), reshape(b, [1, -1]))
}

/// NumPy's `split`: `sections` equal parts, or cuts at the given indices, along `axis`.
public func split(_ x: Tensor, sections: Int? = nil, indices: [Int]? = nil, axis: Int = 0) throws -> [Tensor] {
  let a = try normalizeAxis(axis, ndim: x.ndim, op: "split")
  let size = x.shape[a]
  var cuts: [Int]
  if let sections {
    guard sections > 0, size % sections == 0 else {
      throw SGError.value("split: array split does not result in an equal division (\(size) into \(sections))")
    }
    // An empty axis divides into any number of parts: refuse counts no memory could hold.
    guard size > 0 || sections <= 1 << 24 else {
      throw SGError.memory("split: cannot make \(sections) parts of an empty axis")
    }
    cuts = (1..<sections).map { $0 * size / sections }
  } else {
    cuts = (indices ?? []).map { Swift.min(Swift.max($0 < 0 ? $0 + size : $0, 0), size) }
  }
  let bounds = [0] + cuts + [size]
  return try zip(bounds, bounds.dropFirst()).map { start, end in
    try sliceAxis(x, axis: a, start: Swift.min(start, size), count: Swift.max(end - start, 0))
  }
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let composites: [Operation] = [
    .binary("dot", "NumPy's dot: products, matmul up to 2-D, sum over a's last and b's second-to-last axis.",
            parameters: ("a", "b"), dot),
    .binary("outer", "Outer product of the flattened inputs.", parameters: ("a", "b"), outer),
    Operation("clip", "a, a_min: tensor? = None, a_max: tensor? = None", "Values limited to [a_min, a_max].") {
      [try clip($0.tensor(0), $0.optionalTensor(1), $0.optionalTensor(2))]
    },
    Operation("var", "a, axis: ints? = None, ddof: float = 0, keepdims: bool = False",
              "Variance with NumPy's ddof.", method: "var") {
      [try variance($0.tensor(0), axes: $0.optionalInts(1), ddof: $0.float(2), keepDims: $0.bool(3))]
    },
    Operation("std", "a, axis: ints? = None, ddof: float = 0, keepdims: bool = False",
              "Standard deviation with NumPy's ddof.", method: "std") {
      [try standardDeviation($0.tensor(0), axes: $0.optionalInts(1), ddof: $0.float(2), keepDims: $0.bool(3))]
    },
    Operation("logsumexp", "a, axis: ints? = None, keepdims: bool = False", "log(sum(exp(a))) computed stably.") {
      [try logsumexp($0.tensor(0), axes: $0.optionalInts(1), keepDims: $0.bool(2))]
    },
    Operation("softmax", "x, axis: int = -1", "exp(x) / sum(exp(x)) along axis, computed stably.") {
      [try softmax($0.tensor(0), axis: $0.int(1))]
    },
    Operation("log_softmax", "x, axis: int = -1", "x - logsumexp(x) along axis.") {
      [try logSoftmax($0.tensor(0), axis: $0.int(1))]
    },
    Operation("split", "ary, indices_or_sections: int|ints, axis: int = 0",
              "Views of ary cut into equal sections or at indices (NumPy's split).", result: .list) {
      switch $0.value(1) {
      case .int(let sections):
        guard sections > 0 else {
          throw SGError.value("split: number of sections must be larger than 0 (got \(sections))")
        }
        return try split($0.tensor(0), sections: sections, axis: $0.int(2))
      default:
        return try split($0.tensor(0), indices: $0.ints(1), axis: $0.int(2))
      }
    },
  ]
}
