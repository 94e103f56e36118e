/// Reductions over axes: sum (linear), max/min, prod. `mean` and friends are composites.

/// Normalised, sorted, duplicate-free axes; nil means all axes.
func normalizeAxes(_ axes: [Int]?, ndim: Int, op: String) throws -> [Int] {
  guard let axes else { return Array(0..<ndim) }
  let normalized = try axes.map { try normalizeAxis($0, ndim: ndim, op: op) }
  guard Set(normalized).count == normalized.count else { throw SGError.value("\(op): duplicate value in 'axis'") }
  return normalized.sorted()
}

/// The shape a reduction keeps with keepdims=True: lets the cotangent broadcast back.
func keptShape(_ shape: [Int], axes: [Int]) -> [Int] {
  shape.indices.map { axes.contains($0) ? 1 : shape[$0] }
}

public struct Sum: LinearPrimitive {
  public static let name = "sum"
  public let axes: [Int]
  public let keepDims: Bool
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    if let fast = try sumOfTrailingAxes(x, axes: axes, keepDims: keepDims) { return fast }
    if let fast = try sumOfLeadingAxes(x, axes: axes, keepDims: keepDims) { return fast }
    switch x.dtype {
    case .float32:
      return try reduceKernel(x, axes: axes, keepDims: keepDims, to: .float32,
        initial: 0.0) { (a: inout Double, v: Float) in a += Double(v) } _: { Float($0) }
    case .float64:
      return try reduceKernel(x, axes: axes, keepDims: keepDims, to: .float64,
        initial: 0.0) { (a: inout Double, v: Double) in a += v } _: { $0 }
    case .int64, .bool:
      return try reduceKernel(try x.converted(to: .int64), axes: axes, keepDims: keepDims, to: .int64,
        initial: Int64(0)) { (a: inout Int64, v: Int64) in a = a &+ v } _: { $0 }
    default: throw storageOnly(x.dtype)
    }
  }
  public func transpose(_ g: Tensor, input: Tensor) throws -> Tensor {
    try broadcastTo(reshape(g, keptShape(input.shape, axes: axes)), input.shape)
  }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) {
      try apply(Sum(axes: self.axes.map { $0 + 1 }, keepDims: keepDims), [$0])
    }
  }
}

/// max or min. The gradient goes to the elements equal to the result, split evenly on ties.
public struct Extremum: Primitive {
  public static let name = "max"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try taylorFromJVP(self, inputs, output: y, series: series, readsOutput: Self.readsOutput)
  }
  public static var readsOutput: Bool { true }
  public let axes: [Int]
  public let keepDims: Bool
  public let isMax: Bool

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    let isMax = self.isMax
    func run<T: NumericElement & Comparable>(_: T.Type, _ lowest: T, _ highest: T,
      _ isNaN: @escaping (T) -> Bool) throws -> Tensor {
      try reduceKernel(try x.converted(to: T.dtype), axes: axes, keepDims: keepDims, to: T.dtype,
        initial: isMax ? lowest : highest) { (a: inout T, v: T) in
        if isNaN(a) { return }
        if isNaN(v) || (isMax ? v > a : v < a) { a = v }
      } _: { $0 }
    }
    switch x.dtype {
    case .float32: return try run(Float.self, -.infinity, .infinity) { $0.isNaN }
    case .float64: return try run(Double.self, -.infinity, .infinity) { $0.isNaN }
    case .int64: return try run(Int64.self, .min, .max) { _ in false }
    case .bool: return try run(Int64.self, .min, .max) { _ in false }.converted(to: .bool)
    default: throw storageOnly(x.dtype)
    }
  }

  /// Where x attains the result, weighted 1/(number of ties).
  func weights(_ x: Tensor, _ y: Tensor) throws -> Tensor {
    let yk = try reshape(y, keptShape(x.shape, axes: axes))
    let hits = try cast(equal(x, yk), to: x.dtype)
    return try div(hits, sum(hits, axes: axes, keepDims: true))
  }
  public func vjp(_ inputs: [Tensor], output y: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    let x = inputs[0]
    return [try mul(reshape(g, keptShape(x.shape, axes: axes)), weights(x, y))]
  }
  public func jvp(_ inputs: [Tensor], output y: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    guard let t = tangents[0] else { return nil }
    return try sum(mul(t, weights(inputs[0], y)), axes: axes, keepDims: keepDims)
  }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) {
      try apply(Extremum(axes: self.axes.map { $0 + 1 }, keepDims: keepDims, isMax: isMax), [$0])
    }
  }
}

/// Product. The rule handles zeros exactly: with one zero in a slice, only that element gets
/// the product of the others; with two or more, every gradient is zero.
public struct Prod: Primitive {
  public static let name = "prod"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try taylorFromJVP(self, inputs, output: y, series: series, readsOutput: Self.readsOutput)
  }
  public static var readsOutput: Bool { true }
  public let axes: [Int]
  public let keepDims: Bool
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    switch x.dtype {
    case .float32:
      return try reduceKernel(x, axes: axes, keepDims: keepDims, to: .float32,
        initial: 1.0) { (a: inout Double, v: Float) in a *= Double(v) } _: { Float($0) }
    case .float64:
      return try reduceKernel(x, axes: axes, keepDims: keepDims, to: .float64,
        initial: 1.0) { (a: inout Double, v: Double) in a *= v } _: { $0 }
    case .int64, .bool:
      return try reduceKernel(try x.converted(to: .int64), axes: axes, keepDims: keepDims, to: .int64,
        initial: Int64(1)) { (a: inout Int64, v: Int64) in a = a &* v } _: { $0 }
    default: throw storageOnly(x.dtype)
    }
  }
  /// d prod / d x_i, shaped like x.
  func partials(_ x: Tensor, _ y: Tensor) throws -> Tensor {
    let kept = keptShape(x.shape, axes: axes)
    let isZero = try equal(x, 0)
    let zeroCount = try sum(cast(isZero, to: x.dtype), axes: axes, keepDims: true)
    let one = try full([], 1, dtype: x.dtype)
    let zero = try full([], 0, dtype: x.dtype)
    let othersIfNoZero = try div(reshape(y, kept), `where`(isZero, one, x))
    let productOfNonZeros = try prod(`where`(isZero, one, x), axes: axes, keepDims: true)
    let onlyZero = try logicalAnd(isZero, equal(zeroCount, 1))
    return try `where`(
      equal(zeroCount, 0), othersIfNoZero, `where`(onlyZero, broadcastTo(productOfNonZeros, x.shape), zero))
  }
  public func vjp(_ inputs: [Tensor], output y: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    let x = inputs[0]
    return [try mul(reshape(g, keptShape(x.shape, axes: axes)), conjugated(partials(x, y)))]
  }
  public func jvp(_ inputs: [Tensor], output y: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    guard let t = tangents[0] else { return nil }
    return try sum(mul(t, partials(inputs[0], y)), axes: axes, keepDims: keepDims)
  }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) {
      try apply(Prod(axes: self.axes.map { $0 + 1 }, keepDims: keepDims), [$0])
    }
  }
}

/// Complex: the product accumulates in complex128 (as real products accumulate in Double).
extension Prod: ComplexPrimitive {
  func complexForward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    if x.dtype == .complex64 {
      return try reduceKernel(x, axes: axes, keepDims: keepDims, to: .complex64,
        initial: Complex<Double>(1, 0)) { (a: inout Complex<Double>, v: Complex<Float>) in
        a = a * Complex(Double(v.re), Double(v.im))
      } _: { Complex<Float>(Float($0.re), Float($0.im)) }
    }
    return try reduceKernel(x, axes: axes, keepDims: keepDims, to: .complex128,
      initial: Complex<Double>(1, 0)) { (a: inout Complex<Double>, v: Complex<Double>) in a = a * v } _: { $0 }
  }
}

public func sum(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
  try apply(Sum(axes: normalizeAxes(axes, ndim: x.ndim, op: "sum"), keepDims: keepDims), [x])
}

public func prod(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
  try apply(Prod(axes: normalizeAxes(axes, ndim: x.ndim, op: "prod"), keepDims: keepDims), [x])
}

func extremum(_ x: Tensor, axes: [Int]?, keepDims: Bool, isMax: Bool) throws -> Tensor {
  let op = isMax ? "maximum" : "minimum"
  let a = try normalizeAxes(axes, ndim: x.ndim, op: op)
  let keptCount = x.shape.indices.filter { !a.contains($0) }.reduce(1) { $0 * x.shape[$1] }
  if x.count == 0 && keptCount > 0 {
    throw SGError.value(
      "zero-size array to reduction operation \(op) which has no identity (shape \(describe(x.shape)))")
  }
  return try apply(Extremum(axes: a, keepDims: keepDims, isMax: isMax), [x])
}
public func max(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
  try extremum(x, axes: axes, keepDims: keepDims, isMax: true)
}
public func min(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
  try extremum(x, axes: axes, keepDims: keepDims, isMax: false)
}

/// Arithmetic mean (integers average in float64, as NumPy does).
public func mean(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
  let a = try normalizeAxes(axes, ndim: x.ndim, op: "mean")
  let n = a.reduce(1) { $0 * x.shape[$1] }
  let xf = try cast(x, to: x.dtype.floatingPoint)
  return try div(sum(xf, axes: a, keepDims: keepDims), scalar(Double(n)))
}

// MARK: Operation table (Note [One op table])
extension Operation {
  private static func reduction(
    _ name: String, _ doc: String, _ f: @escaping (Tensor, [Int]?, Bool) throws -> Tensor
  ) -> Operation {
    Operation(name, "a, axis: ints? = None, keepdims: bool = False", doc, method: name) {
      [try f($0.tensor(0), $0.optionalInts(1), $0.bool(2))]
    }
  }
  static let reductions: [Operation] = [
    reduction("sum", "Sum over axis (an int, a tuple, or None for all axes).") { try sum($0, axes: $1, keepDims: $2) },
    reduction("mean", "Mean over axis (an int, a tuple, or None for all axes).") {
      try mean($0, axes: $1, keepDims: $2)
    },
    reduction("max", "Maximum over axis; NaN propagates; ties split the gradient.") {
      try max($0, axes: $1, keepDims: $2)
    },
    reduction("min", "Minimum over axis; NaN propagates; ties split the gradient.") {
      try min($0, axes: $1, keepDims: $2)
    },
    reduction("prod", "Product over axis (an int, a tuple, or None for all axes).") {
      try prod($0, axes: $1, keepDims: $2)
    },
  ]
}
