#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Elementwise unary primitives of rounding (zero derivative), erf, base-2 and base-10 logarithms,
/// hyperbolic and inverse trigonometric functions. Same family as Unary.swift (Note [Elementwise family]).
/// libm functions the `FloatElement` protocol does not list are evaluated in double precision
/// and rounded back, which is exact enough for float32 and keeps the shared protocol unchanged.

@inline(__always) func viaDouble<T: FloatElement>(_ x: T, _ f: (Double) -> Double) -> T {
  T(f(Double(x)))
}

/// Rounding functions are piecewise constant: their derivative is zero where it exists (as in
/// PyTorch and JAX), never a missing rule. Integers are kept (NumPy 2 keeps int dtypes).
public protocol PiecewiseConstant: ElementwiseUnary {}
extension PiecewiseConstant {
  public static var readsValues: Bool { false }
  public static var isComputeBound: Bool { false }
  public static func applyInteger(_ x: Int64) -> Int64? { x }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor { try full([], 0, dtype: y.dtype) }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor) throws -> [Tensor?] {
    [try mul(cotangent, full([], 0, dtype: output.dtype))]
  }
}

public struct Floor: PiecewiseConstant {
  public static let name = "floor"
  public static func apply<T: FloatElement>(_ x: T) -> T { x.rounded(.down) }
}

/// Rounds toward zero.
public struct Trunc: PiecewiseConstant {
  public static let name = "trunc"
  public static func apply<T: FloatElement>(_ x: T) -> T { x.rounded(.towardZero) }
}

public struct Ceil: PiecewiseConstant {
  public static let name = "ceil"
  public static func apply<T: FloatElement>(_ x: T) -> T { x.rounded(.up) }
}

/// NumPy's `round(x, decimals)`: half to even, on x scaled by 10**decimals (so, as in NumPy,
/// decimal fractions that are not representable round as their binary value does).
public struct Round: Primitive {
  public static let name = "round"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try linearTaylor(self, inputs, output: y, series: series)  // piecewise constant: zeros
  }
  public static var readsValues: Bool { false }
  public let decimals: Int
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    let scale = Glibc.pow(10.0, Double(Swift.abs(decimals)))
    if !x.dtype.isFloatingPoint {
      let xi = try x.converted(to: .int64)
      if decimals >= 0 { return xi.dtype == x.dtype ? try xi.cloned() : xi }
      let s = Double(scale)
      return try mapElements(xi,
        to: .int64) { (v: Int64) in Int64(fromDouble: (Double(v) / s).rounded(.toNearestOrEven) * s) }
    }
    let d = decimals
    func run<T: FloatElement>(_: T.Type) throws -> Tensor {
      let s = T(scale)
      return try mapElements(x, to: T.dtype) { (v: T) -> T in
        d >= 0 ? (v * s).rounded(.toNearestOrEven) / s : (v / s).rounded(.toNearestOrEven) * s
      }
    }
    return x.dtype == .float32 ? try run(Float.self) : try run(Double.self)
  }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor) throws -> [Tensor?] {
    [try mul(cotangent, full([], 0, dtype: output.dtype))]
  }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    try tangents[0].map { try mul($0, full([], 0, dtype: output.dtype)) }
  }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) { (try apply(self, inputs), axes[0]) }
}

/// Complex: each part rounded (NumPy's and the array API's rule).
extension Round: ComplexPartwise {}

public struct Erf: ElementwiseUnary {
  public static let name = "erf"
  static let twoOverSqrtPi = 1.1283791670955126
  public static func apply<T: FloatElement>(_ x: T) -> T { viaDouble(x, Glibc.erf) }
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { T(twoOverSqrtPi) * T.exp(-x * x) }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor {
    try mul(exp(neg(square(x))), Erf.twoOverSqrtPi)
  }
}

/// GELU's exact form x Φ(x) = x (erf(x / √2) + 1) / 2 as one primitive, in the composite's
/// order of operations (so float64 values are unchanged): the composite took five ops forward
/// and five backward steps per call. float32 evaluates erf eight lanes at a time
/// (`VectorMath.erfForFloat`; libm's erff only for NaN), forward and in the fused first-order VJP
/// g (Φ(x) + x φ(x)) (φ the normal density), so strided and contiguous inputs, eager and compiled
/// code give the same bits. The derivative tensor for higher orders is built from erf and exp.
public struct Gelu: ElementwiseUnary {
  public static let name = "gelu"
  static let invSqrt2 = 0.7071067811865476
  static let invSqrt2Pi = 0.3989422804014327
  public static var readsOutput: Bool { true }
  public static func apply<T: FloatElement>(_ x: T) -> T {
    if let v = x as? Float { return T(Float(forFloat(SIMD8(repeating: Double(v)))[0])) }
    return viaDouble(x) { v in v * ((Glibc.erf(v * invSqrt2) + 1) * 0.5) }
  }
  /// x Φ(x) in eight lanes, for float32 results.
  static func forFloat(_ x: SIMD8<Double>) -> SIMD8<Double> {
    guard let e = VectorMath.erfForFloat(x * invSqrt2) else {
      return SIMD8((0..<8).map { i in Double(Float(x[i]) * ((Glibc.erff(Float(x[i] * invSqrt2)) + 1) * 0.5)) })
    }
    return x * ((e + 1) * 0.5)
  }
  /// Φ(x) + x φ(x) in eight lanes, for float32 results.
  static func derivativeForFloat(_ x: SIMD8<Double>) -> SIMD8<Double> {
    let e = VectorMath.erfForFloat(x * invSqrt2)
      ?? SIMD8((0..<8).map { i in Double(Glibc.erff(Float(x[i] * invSqrt2))) })
    let density = VectorMath.exp(-0.5 * x * x)
      ?? SIMD8((0..<8).map { i in Glibc.exp(-0.5 * x[i] * x[i]) })
    return (e + 1) * 0.5 + x * density * invSqrt2Pi
  }
  public static var blockLoop32: BlockLoop<Float> {
    { a, _, out, n in VectorMath.map(a, out, 0..<n, lanes: Gelu.forFloat, scalar: Gelu.apply) }
  }
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = try inputs[0].converted(to: inputs[0].dtype.floatingPoint)
    guard x.dtype == .float32 else {
      return try mapElements(x, to: .float64, parallel: true) { (v: Double) in Gelu.apply(v) }
    }
    guard x.isContiguous else {
      return try mapElements(x, to: .float32, parallel: true) { (v: Float) in Gelu.apply(v) }
    }
    let out = try Tensor(uninitializedLike: x, dtype: .float32)
    let (src, dst) = (x.pointer(Float.self), out.pointer(Float.self))
    Parallel.forChunks(out.count) { r in VectorMath.map(src, dst, r, lanes: Gelu.forFloat, scalar: Gelu.apply) }
    return withExtendedLifetime(x) { out }
  }
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? {
    if let v = x as? Float { return T(Float(derivativeForFloat(SIMD8(repeating: Double(v)))[0])) }
    let direct = Swift.abs(x) < 1 / 1024 || !y.isFinite  // y / x would lose digits or be NaN
    let phi = direct ? viaDouble(x) { (Glibc.erf($0 * invSqrt2) + 1) * 0.5 } : y / x
    return phi + x * T.exp(-x * x * 0.5) * T(invSqrt2Pi)
  }
  /// float32 with contiguous operands: g (Φ(x) + x φ(x)) in one lane loop; otherwise the family's.
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor) throws -> [Tensor?] {
    let (x, g) = (inputs[0], cotangent)
    if !GradMode.isEnabled, ProgramRecorder.current == nil, x.dtype == .float32, g.dtype == .float32,
      x.isContiguous, g.isContiguous, g.shape == x.shape, x.isUnperturbed, g.isUnperturbed, x.batch == nil,
      g.batch == nil
    {
      let out = try Tensor(uninitializedLike: x, dtype: .float32)
      let (px, pg, po) = (x.pointer(Float.self), g.pointer(Float.self), out.pointer(Float.self))
      Parallel.forChunks(out.count) { r in
        var i = r.lowerBound
        while i + 8 <= r.upperBound {
          let d = Gelu.derivativeForFloat(VectorMath.load(px + i))
          VectorMath.store(d * VectorMath.load(pg + i), po + i)
          i += 8
        }
        for j in i..<r.upperBound { po[j] = pg[j] * Gelu.derivativeValue(px[j], Float(0))! }
      }
      return withExtendedLifetime((x, g)) { [out] }
    }
    if let fused = try fusedVJP(x, output, g) { return [fused] }
    return [try mul(g, derivative(x, output: output))]
  }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor {
    let phi = try mul(add(erf(mul(x, Gelu.invSqrt2)), 1), 0.5)
    return try add(phi, mul(x, mul(exp(mul(square(x), -0.5)), Gelu.invSqrt2Pi)))
  }
}

/// log2 and log10 from libm (exact at powers of the base); derivatives 1 / (x ln b).
public struct Log2: ElementwiseUnary {
  public static let name = "log2"
  public static func apply<T: FloatElement>(_ x: T) -> T { viaDouble(x, Glibc.log2) }
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { 1 / (x * T(0.6931471805599453)) }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor { try reciprocal(mul(x, 0.6931471805599453)) }
}

public struct Log10: ElementwiseUnary {
  public static let name = "log10"
  public static func apply<T: FloatElement>(_ x: T) -> T { viaDouble(x, Glibc.log10) }
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { 1 / (x * T(2.302585092994046)) }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor { try reciprocal(mul(x, 2.302585092994046)) }
}

public struct Sinh: ElementwiseUnary {
  public static let name = "sinh"
  public static func apply<T: FloatElement>(_ x: T) -> T { viaDouble(x, Glibc.sinh) }
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { viaDouble(x, Glibc.cosh) }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor { try cosh(x) }
}

public struct Cosh: ElementwiseUnary {
  public static let name = "cosh"
  public static func apply<T: FloatElement>(_ x: T) -> T { viaDouble(x, Glibc.cosh) }
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { viaDouble(x, Glibc.sinh) }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor { try sinh(x) }
}

/// d/dx arcsin = 1 / sqrt(1 - x^2): infinite at +-1 and NaN outside, as the function is.
public struct Arcsin: ElementwiseUnary {
  public static let name = "arcsin"
  public static func apply<T: FloatElement>(_ x: T) -> T { viaDouble(x, Glibc.asin) }
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { 1 / (1 - x * x).squareRoot() }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor { try reciprocal(sqrt(rsub(1, square(x)))) }
}

public struct Arccos: ElementwiseUnary {
  public static let name = "arccos"
  public static func apply<T: FloatElement>(_ x: T) -> T { viaDouble(x, Glibc.acos) }
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { -1 / (1 - x * x).squareRoot() }
  public func derivative(_ x: Tensor,
    output y: Tensor) throws -> Tensor { try neg(reciprocal(sqrt(rsub(1, square(x))))) }
}

public struct Arctan: ElementwiseUnary {
  public static let name = "arctan"
  public static func apply<T: FloatElement>(_ x: T) -> T { viaDouble(x, Glibc.atan) }
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { 1 / (1 + x * x) }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor { try reciprocal(add(square(x), 1)) }
}

/// asinh(x), defined everywhere; its derivative 1 / sqrt(1 + x^2).
public struct Arcsinh: ElementwiseUnary {
  public static let name = "arcsinh"
  public static func apply<T: FloatElement>(_ x: T) -> T { viaDouble(x, Glibc.asinh) }
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { 1 / (1 + x * x).squareRoot() }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor { try reciprocal(sqrt(add(square(x), 1))) }
}

/// acosh(x) for x >= 1 (NaN below); its derivative 1 / sqrt(x^2 - 1), infinite at 1. For complex
/// z it is 1 / (sqrt(z - 1) sqrt(z + 1)), the derivative of C99's principal branch, which
/// differs from 1 / sqrt(z^2 - 1) in sign where re z < 0.
public struct Arccosh: ElementwiseUnary {
  public static let name = "arccosh"
  public static func apply<T: FloatElement>(_ x: T) -> T { viaDouble(x, Glibc.acosh) }
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { 1 / (x * x - 1).squareRoot() }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor {
    if x.dtype.isComplex { return try reciprocal(mul(sqrt(sub(x, 1)), sqrt(add(x, 1)))) }
    return try reciprocal(sqrt(sub(square(x), 1)))
  }
}

/// atanh(x) on (-1, 1), +-inf at +-1; its derivative 1 / (1 - x^2).
public struct Arctanh: ElementwiseUnary {
  public static let name = "arctanh"
  public static func apply<T: FloatElement>(_ x: T) -> T { viaDouble(x, Glibc.atanh) }
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { 1 / (1 - x * x) }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor { try reciprocal(rsub(1, square(x))) }
}

public func floor(_ x: Tensor) throws -> Tensor { try apply(Floor(), [x]) }
public func trunc(_ x: Tensor) throws -> Tensor { try apply(Trunc(), [x]) }
public func ceil(_ x: Tensor) throws -> Tensor { try apply(Ceil(), [x]) }
public func round(_ x: Tensor, decimals: Int = 0) throws -> Tensor {
  guard decimals >= -308 && decimals <= 308 else {
    throw SGError.value("round: decimals \(decimals) is out of range [-308, 308]")
  }
  return try apply(Round(decimals: decimals), [x])
}
public func erf(_ x: Tensor) throws -> Tensor { try apply(Erf(), [x]) }
public func log2(_ x: Tensor) throws -> Tensor { try apply(Log2(), [x]) }
public func log10(_ x: Tensor) throws -> Tensor { try apply(Log10(), [x]) }
public func sinh(_ x: Tensor) throws -> Tensor { try apply(Sinh(), [x]) }
public func cosh(_ x: Tensor) throws -> Tensor { try apply(Cosh(), [x]) }
public func arcsin(_ x: Tensor) throws -> Tensor { try apply(Arcsin(), [x]) }
public func arccos(_ x: Tensor) throws -> Tensor { try apply(Arccos(), [x]) }
public func arctan(_ x: Tensor) throws -> Tensor { try apply(Arctan(), [x]) }
public func arcsinh(_ x: Tensor) throws -> Tensor { try apply(Arcsinh(), [x]) }
public func arccosh(_ x: Tensor) throws -> Tensor { try apply(Arccosh(), [x]) }
public func arctanh(_ x: Tensor) throws -> Tensor { try apply(Arctanh(), [x]) }

// MARK: Operation table (Note [One op table])
extension Operation {
  static let roundingAndTrigonometry: [Operation] = [
    .unary("floor", "Elementwise floor; integers are kept; zero gradient.", method: true, floor),
    .unary("ceil", "Elementwise ceiling; integers are kept; zero gradient.", method: true, ceil),
    .unary("trunc", "Elementwise rounding toward zero; integers are kept; zero gradient.", method: true, trunc),
    Operation("round", "a, decimals: int = 0", "Half to even (NumPy's round); zero gradient.", method: "round") {
      [try round($0.tensor(0), decimals: $0.int(1))]
    },
    .unary("erf", "Elementwise error function.", erf),
    .unary("log2", "Elementwise base-2 logarithm.", domain: .positive, log2),
    .unary("log10", "Elementwise base-10 logarithm.", domain: .positive, log10),
    .unary("sinh", "Elementwise hyperbolic sine.", sinh),
    .unary("cosh", "Elementwise hyperbolic cosine.", cosh),
    .unary("arcsin", "Elementwise inverse sine.", domain: .unitInterval, arcsin),
    .unary("arccos", "Elementwise inverse cosine.", domain: .unitInterval, arccos),
    .unary("arctan", "Elementwise inverse tangent.", arctan),
    .unary("arcsinh", "Elementwise inverse hyperbolic sine.", arcsinh),
    .unary("arccosh", "Elementwise inverse hyperbolic cosine (x >= 1).", domain: .aboveOne, arccosh),
    .unary("arctanh", "Elementwise inverse hyperbolic tangent (-1 < x < 1).", domain: .unitInterval, arctanh),
  ]
}
