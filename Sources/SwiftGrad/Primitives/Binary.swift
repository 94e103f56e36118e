/// Elementwise binary primitives with NumPy broadcasting and promotion.
///
/// Note [Unbroadcasting cotangents]: a broadcast input receives the sum of the cotangent over
/// the broadcast dimensions; every binary rule ends with `unbroadcast(_:to:)`.
public protocol ElementwiseBinary: Primitive {
  static func apply<T: FloatElement>(_ a: T, _ b: T) -> T
  /// Integer version for ops that keep integer dtypes; nil means "compute in float64".
  static func applyInteger(_ a: Int64, _ b: Int64) -> Int64?
  /// `apply` over a block, for graph mode's fused loops (see ElementwiseUnary).
  static var blockLoop64: BlockLoop<Double> { get }
  static var blockLoop32: BlockLoop<Float> { get }
}

extension ElementwiseBinary {
  public static func applyInteger(_ a: Int64, _ b: Int64) -> Int64? { nil }
  public static var blockLoop64: BlockLoop<Double> { { a, b, out, n in for i in 0..<n { out[i] = apply(a[i], b[i]) } } }
  public static var blockLoop32: BlockLoop<Float> { { a, b, out, n in for i in 0..<n { out[i] = apply(a[i], b[i]) } } }

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let (a, b) = (inputs[0], inputs[1])
    let shape = try broadcastShapes(a.shape, b.shape)
    var dtype = resultType(a, b)
    if !dtype.isFloatingPoint {
      if Self.applyInteger(0, 0) != nil {
        let ai = try a.converted(to: .int64)
        let bi = try b.converted(to: .int64)
        let out = try mapElements(ai, bi, shape: shape, to: .int64) { (x: Int64, y: Int64) in
          Self.applyInteger(x, y)!
        }
        return try out.converted(to: dtype)
      }
      dtype = .float64
    }
    let af = try a.converted(to: dtype)
    let bf = try b.converted(to: dtype)
    if dtype == .float32 {
      return try mapElements(af, bf, shape: shape, to: dtype) { (x: Float, y: Float) in Self.apply(x, y) }
    }
    return try mapElements(af, bf, shape: shape, to: dtype) { (x: Double, y: Double) in Self.apply(x, y) }
  }

  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try broadcastingBatch(self, inputs, axes)
  }
  /// Derived from the partials (Note [Taylor rule families]); add, sub, mul, div state theirs.
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try taylorFromJVP(self, inputs, output: y, series: series, readsOutput: Self.readsOutput)
  }
}

/// The batching rule of broadcasting ops: batch axes first, logical ranks aligned behind them.
func broadcastingBatch<P: Primitive>(_ p: P, _ inputs: [Tensor], _ axes: [Int?]) throws -> (Tensor, Int?) {
  (try apply(p, Batching.aligned(inputs, axes)), 0)
}

/// Sum of the non-nil tangents (nil when all are zero).
func sumTangents(_ parts: [Tensor?]) throws -> Tensor? {
  var total: Tensor?
  for case let part? in parts { total = try total.map { try add($0, part) } ?? part }
  return total
}

/// The binary family with derivatives: an op states its two partial derivatives once and gets
/// both rules, g * d/da and g * d/db unbroadcast to each input (Note [Unbroadcasting
/// cotangents]) and t_a * d/da + t_b * d/db. A partial is only built for an input that needs it.
public protocol BinaryPartials: ElementwiseBinary {
  /// d out / d input `index` (0: a, 1: b), broadcastable to the output `y`'s shape.
  func partial(_ index: Int, _ a: Tensor, _ b: Tensor, _ y: Tensor) throws -> Tensor
}

extension BinaryPartials {
  public func vjp(_ inputs: [Tensor], output y: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    let (a, b) = (inputs[0], inputs[1])
    return try (0..<2).map { i in
      guard inputs[i].requiresGrad else { return nil }
      return try unbroadcast(mul(g, conjugated(partial(i, a, b, y))), to: inputs[i].shape)  // Note [Complex dtypes]
    }
  }
  public func jvp(_ inputs: [Tensor], output y: Tensor, tangents t: [Tensor?]) throws -> Tensor? {
    let (a, b) = (inputs[0], inputs[1])
    return try sumTangents(try (0..<2).map { i in try t[i].map { try mul($0, partial(i, a, b, y)) } })
  }
}

public struct Add: ElementwiseBinary {
  public static let name = "add"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try linearTaylor(self, inputs, output: y, series: series)
  }
  public static var readsValues: Bool { false }
  public static func apply<T: FloatElement>(_ a: T, _ b: T) -> T { a + b }
  public static func applyInteger(_ a: Int64, _ b: Int64) -> Int64? { a &+ b }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    [
      inputs[0].requiresGrad ? try unbroadcast(g, to: inputs[0].shape) : nil,
      inputs[1].requiresGrad ? try unbroadcast(g, to: inputs[1].shape) : nil,
    ]
  }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents t: [Tensor?]) throws -> Tensor? {
    try sumTangents(t)
  }
}

public struct Sub: ElementwiseBinary {
  public static let name = "sub"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try linearTaylor(self, inputs, output: y, series: series)
  }
  public static var readsValues: Bool { false }
  public static func apply<T: FloatElement>(_ a: T, _ b: T) -> T { a - b }
  public static func applyInteger(_ a: Int64, _ b: Int64) -> Int64? { a &- b }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    [
      inputs[0].requiresGrad ? try unbroadcast(g, to: inputs[0].shape) : nil,
      inputs[1].requiresGrad ? try unbroadcast(neg(g), to: inputs[1].shape) : nil,
    ]
  }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents t: [Tensor?]) throws -> Tensor? {
    try sumTangents([t[0], try t[1].map(neg)])
  }
}

public struct Mul: BinaryPartials {
  public static let name = "mul"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try bilinearTaylor(inputs, output: y, series: series, mul)  // the Cauchy product
  }
  public func readsInput(_ index: Int, of inputs: [Tensor]) -> Bool { inputs[1 - index].requiresGrad }
  public static func apply<T: FloatElement>(_ a: T, _ b: T) -> T { a * b }
  public static func applyInteger(_ a: Int64, _ b: Int64) -> Int64? { a &* b }
  public func partial(_ index: Int, _ a: Tensor, _ b: Tensor, _ y: Tensor) throws -> Tensor { index == 0 ? b : a }
}

public struct Div: BinaryPartials {
  public static let name = "div"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    // q = a / b: q_k = (a_k - sum_{j=1}^k b_j q_{k-j}) / b_0
    var qs = [y]
    for k in 1...Swift.max(1, jetOrder(series)) {
      var num = term(inputs, series, 0, k)
      for j in 1...k {
        guard let bj = term(inputs, series, 1, j) else { continue }
        let part = try mul(bj, qs[k - j])
        num = try num.map { try sub($0, part) } ?? neg(part)
      }
      qs.append(try num.map { try div($0, inputs[1]) } ?? zeroTerm(y))
    }
    return Array(qs.dropFirst())
  }
  public func readsInput(_ index: Int, of inputs: [Tensor]) -> Bool { index == 1 }
  public static var readsOutput: Bool { true }
  public static func apply<T: FloatElement>(_ a: T, _ b: T) -> T { a / b }
  /// 1 / b and -y / b.
  public func partial(_ index: Int, _ a: Tensor, _ b: Tensor, _ y: Tensor) throws -> Tensor {
    index == 0 ? try reciprocal(b) : try neg(div(y, b))
  }
}

/// `a ** b`. Derivatives follow PyTorch at the edges: d/da is 0 where b == 0 (not 0 * inf),
/// d/db is 0 where a == 0 and b >= 0 (not 0 * log 0).
public struct Pow: BinaryPartials {
  public static let name = "pow"
  public static var readsOutput: Bool { true }
  /// Squares (`x ** 2`, also in every power's derivative `b * a ** (b - 1)`) and first powers skip
  /// libm's pow (20 ns an element): a * a is the correctly rounded square, as pow's result is.
  public static func apply<T: FloatElement>(_ a: T, _ b: T) -> T { b == 2 ? a * a : b == 1 ? a : T.pow(a, b) }
  public static func applyInteger(_ a: Int64, _ b: Int64) -> Int64? {
    guard b >= 0 else { return 0 }  // rejected before the kernel runs; see `pow(_:_:)`
    var (result, base, e) = (Int64(1), a, b)
    while e > 0 {
      if e & 1 == 1 { result = result &* base }
      base = base &* base
      e >>= 1
    }
    return result
  }

  public func partial(_ index: Int, _ a: Tensor, _ b: Tensor, _ y: Tensor) throws -> Tensor {
    if y.dtype.isComplex {  // holomorphic off the branch cut: b a^(b-1) and y log(a), log of a complex base
      return index == 0 ? try mul(b, pow(a, sub(b, 1))) : try mul(y, log(cast(a, to: y.dtype)))
    }
    if index == 0, let e = try constantExponent(b) {
      // A constant exponent (x ** 2 from Python): one temporary instead of the general form's four.
      if e == 0 { return try full([], 0, dtype: a.dtype) }
      if e == 1 { return try full([], 1, dtype: a.dtype) }
      return e == 2 ? try mul(a, 2) : try mul(pow(a, scalar(e - 1)), e)
    }
    if index == 0 { return try `where`(equal(b, 0), full([], 0, dtype: a.dtype), mul(b, pow(a, sub(b, 1)))) }
    let zeroBase = try logicalAnd(equal(a, 0), greaterEqual(b, 0))
    return try `where`(zeroBase, full([], 0, dtype: y.dtype), mul(y, log(a)))
  }
}

/// The value of an exponent no transform differentiates or batches (a Python number), else nil.
private func constantExponent(_ b: Tensor) throws -> Double? {
  guard b.isWeaklyTyped, b.ndim == 0, !b.requiresGrad, b.gradFn == nil, b.tangents.isEmpty, b.jets.isEmpty,
    b.batch == nil, b.dtype.isFloatingPoint || b.dtype.kind == .signed
  else { return nil }
  return try b.scalarValue()
}

/// Shared rule of maximum/minimum: the winner takes the gradient; ties split it evenly
/// (as JAX and PyTorch do), so the rule is symmetric.
protocol Selecting: BinaryPartials {}
extension Selecting {
  public static var readsOutput: Bool { true }
  /// The weight of input a: 1 where a wins, 0.5 on ties, 0 where b wins; b's is 1 minus it.
  public func partial(_ index: Int, _ a: Tensor, _ b: Tensor, _ y: Tensor) throws -> Tensor {
    let wins = try cast(equal(y, a), to: y.dtype)
    let ties = try cast(equal(a, b), to: y.dtype)
    let weightA = try sub(wins, mul(ties, 0.5))
    return index == 0 ? weightA : try rsub(1, weightA)
  }
}

/// NaN propagates (NumPy's maximum).
public struct Maximum: Selecting {
  public static let name = "maximum"
  public static func apply<T: FloatElement>(_ a: T, _ b: T) -> T { a.isNaN || a >= b ? a : b }
  public static func applyInteger(_ a: Int64, _ b: Int64) -> Int64? { Swift.max(a, b) }
}

public struct Minimum: Selecting {
  public static let name = "minimum"
  public static func apply<T: FloatElement>(_ a: T, _ b: T) -> T { a.isNaN || a <= b ? a : b }
  public static func applyInteger(_ a: Int64, _ b: Int64) -> Int64? { Swift.min(a, b) }
}

/// A Python-style scalar operand: 0-d, weakly typed.
public func scalar(_ value: Double) throws -> Tensor {
  let t = try Tensor(uninitializedShape: [], dtype: .float64)
  t.pointer(Double.self)[0] = value
  t.isWeaklyTyped = true
  return t
}

public func add(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(Add(), [a, b]) }
public func sub(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(Sub(), [a, b]) }
public func mul(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(Mul(), [a, b]) }
public func div(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(Div(), [a, b]) }
public func maximum(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(Maximum(), [a, b]) }
public func minimum(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(Minimum(), [a, b]) }
public func pow(_ a: Tensor, _ b: Tensor) throws -> Tensor {
  if !resultType(a, b).isInexact {
    if try anyTrue(less(b, 0)) {
      throw SGError.value("Integers to negative integer powers are not allowed (pow of \(a.dtype) by \(b.dtype))")
    }
  }
  return try apply(Pow(), [a, b])
}

public func add(_ a: Tensor, _ b: Double) throws -> Tensor { try add(a, scalar(b)) }
public func mul(_ a: Tensor, _ b: Double) throws -> Tensor { try mul(a, scalar(b)) }
public func sub(_ a: Tensor, _ b: Double) throws -> Tensor { try sub(a, scalar(b)) }
public func div(_ a: Double, _ b: Tensor) throws -> Tensor { try div(scalar(a), b) }
/// `a - b` with the scalar on the left.
public func rsub(_ a: Double, _ b: Tensor) throws -> Tensor { try sub(scalar(a), b) }

// MARK: Operation table (Note [One op table])
extension Operation {
  static let elementwiseBinary: [Operation] = [
    .binary("add", "Elementwise x1 + x2 with broadcasting.", add),
    .binary("subtract", "Elementwise x1 - x2 with broadcasting.", sub),
    .binary("multiply", "Elementwise x1 * x2 with broadcasting.", mul),
    .binary("divide", "Elementwise x1 / x2 (true division) with broadcasting.", div),
    .binary("power", "Elementwise x1 ** x2 with broadcasting.", pow),
    .binary("maximum", "Elementwise maximum; NaN propagates; ties split the gradient.", maximum),
    .binary("minimum", "Elementwise minimum; NaN propagates; ties split the gradient.", minimum),
  ]
}
