#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Two-argument functions computed without overflow: logaddexp, hypot, arctan2, each stating
/// its partial derivatives (the `BinaryPartials` family, Binary.swift).

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
  public func partial(_ index: Int, _ a: Tensor, _ b: Tensor, _ y: Tensor) throws -> Tensor {
    let d = try index == 0 ? sub(a, b) : sub(b, a)
    return try sigmoid(`where`(notEqual(d, d), full([], 0, dtype: y.dtype), d))
  }
}

/// sqrt(a^2 + b^2) without overflow; partials a/h and b/h, taken as 0 at the origin (a
/// subgradient, as PyTorch does).
public struct Hypot: BinaryPartials {
  public static let name = "hypot"
  public static var readsOutput: Bool { true }
  public static func apply<T: FloatElement>(_ a: T, _ b: T) -> T { T(Glibc.hypot(Double(a), Double(b))) }
  public func partial(_ index: Int, _ a: Tensor, _ b: Tensor, _ y: Tensor) throws -> Tensor {
    try div(index == 0 ? a : b, nonzeroDenominator(y))
  }
}

/// The angle of the point (x2, x1) (NumPy's `arctan2(x1, x2)`, x1 the ordinate). Partials
/// x2 / r^2 and -x1 / r^2, taken as 0 at the origin.
public struct Arctan2: BinaryPartials {
  public static let name = "arctan2"
  public static var readsOutput: Bool { false }
  public static func apply<T: FloatElement>(_ a: T, _ b: T) -> T { T(Glibc.atan2(Double(a), Double(b))) }
  public func partial(_ index: Int, _ a: Tensor, _ b: Tensor, _ y: Tensor) throws -> Tensor {
    let r2 = try nonzeroDenominator(add(square(a), square(b)))
    return index == 0 ? try div(b, r2) : try neg(div(a, r2))
  }
}

public func logaddexp(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(LogAddExp(), [a, b]) }
public func hypot(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(Hypot(), [a, b]) }
public func arctan2(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(Arctan2(), [a, b]) }

// MARK: Operation table (Note [One op table])
extension Operation {
  static let binaryMath: [Operation] = [
    .binary("logaddexp", "log(exp(x1) + exp(x2)) without overflow.", logaddexp),
    .binary("hypot", "sqrt(x1**2 + x2**2) without overflow.", hypot),
    .binary("arctan2", "The angle of the point (x2, x1).", arctan2),
  ]
}
