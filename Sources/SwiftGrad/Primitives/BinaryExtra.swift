#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// More elementwise binary primitives: logaddexp, hypot, arctan2. Each rule states
/// its two partial derivatives once (`partials`) and builds both modes from them; cotangents
/// are unbroadcast as every binary rule does (Note [Unbroadcasting cotangents]).
protocol BinaryPartials: ElementwiseBinary {
  /// (d out / d a, d out / d b), broadcast to the output's shape.
  func partials(_ a: Tensor, _ b: Tensor, _ y: Tensor) throws -> (Tensor, Tensor)
}

extension BinaryPartials {
  public func vjp(_ inputs: [Tensor], output y: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    let (a, b) = (inputs[0], inputs[1])
    let (da, db) = try partials(a, b, y)
    return [
      a.requiresGrad ? try unbroadcast(mul(g, da), to: a.shape) : nil,
      b.requiresGrad ? try unbroadcast(mul(g, db), to: b.shape) : nil,
    ]
  }
  public func jvp(_ inputs: [Tensor], output y: Tensor, tangents t: [Tensor?]) throws -> Tensor? {
    guard t[0] != nil || t[1] != nil else { return nil }
    let (da, db) = try partials(inputs[0], inputs[1], y)
    return try sumTangents([try t[0].map { try mul($0, da) }, try t[1].map { try mul($0, db) }])
  }
}

/// `where(x == 0, 1, x)`: a denominator that is never zero, so that a rule's `0 / 0` at the
/// origin becomes the finite convention without a NaN leaking through `where`'s other branch
/// (the gradient of the unselected branch is still evaluated).
func nonzeroDenominator(_ x: Tensor) throws -> Tensor {
  try `where`(equal(x, 0), full([], 1, dtype: x.dtype), x)
}

/// log(exp(a) + exp(b)) = max(a, b) + log1p(exp(-|a - b|)): never overflows. The partials are
/// sigmoid(a - b) and sigmoid(b - a); where a - b is NaN (both +inf or both -inf) they are 1/2.
public struct LogAddExp: BinaryPartials {
  public static let name = "logaddexp"
  public static var readsOutput: Bool { false }
  public static func apply<T: FloatElement>(_ a: T, _ b: T) -> T {
    if a == b { return a + T(0.6931471805599453) }  // also right for equal infinities
    return Swift.max(a, b) + T.log1p(T.exp(-Swift.abs(a - b)))
  }
  func partials(_ a: Tensor, _ b: Tensor, _ y: Tensor) throws -> (Tensor, Tensor) {
    let d = try sub(a, b)
    let safe = try `where`(notEqual(d, d), full([], 0, dtype: y.dtype), d)
    return (try sigmoid(safe), try sigmoid(neg(safe)))
  }
}

/// sqrt(a^2 + b^2) without overflow; partials a/h and b/h, taken as 0 at the origin (a
/// subgradient, as PyTorch does).
public struct Hypot: BinaryPartials {
  public static let name = "hypot"
  public static var readsOutput: Bool { true }
  public static func apply<T: FloatElement>(_ a: T, _ b: T) -> T { T(Glibc.hypot(Double(a), Double(b))) }
  func partials(_ a: Tensor, _ b: Tensor, _ y: Tensor) throws -> (Tensor, Tensor) {
    let h = try nonzeroDenominator(y)
    return (try div(a, h), try div(b, h))
  }
}

/// The angle of the point (x2, x1) (NumPy's `arctan2(x1, x2)`, x1 the ordinate). Partials
/// x2 / r^2 and -x1 / r^2, taken as 0 at the origin.
public struct Arctan2: BinaryPartials {
  public static let name = "arctan2"
  public static var readsOutput: Bool { false }
  public static func apply<T: FloatElement>(_ a: T, _ b: T) -> T { T(Glibc.atan2(Double(a), Double(b))) }
  func partials(_ a: Tensor, _ b: Tensor, _ y: Tensor) throws -> (Tensor, Tensor) {
    let r2 = try nonzeroDenominator(add(square(a), square(b)))
    return (try div(b, r2), try neg(div(a, r2)))
  }
}

public func logaddexp(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(LogAddExp(), [a, b]) }
public func hypot(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(Hypot(), [a, b]) }
public func arctan2(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(Arctan2(), [a, b]) }

// MARK: Operation table (Note [One op table])
extension Operation {
  static let elementwiseBinaryMore: [Operation] = [
    .binary("logaddexp", "log(exp(x1) + exp(x2)) without overflow.", logaddexp),
    .binary("hypot", "sqrt(x1**2 + x2**2) without overflow.", hypot),
    .binary("arctan2", "The angle of the point (x2, x1).", arctan2),
  ]
}
