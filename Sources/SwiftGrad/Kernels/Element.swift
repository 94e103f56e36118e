#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Conversions every element type supports; casts go through these.
public protocol NumericElement: Element {
  init(fromDouble value: Double)
  init(fromInt64 value: Int64)
  var doubleValue: Double { get }
  var int64Value: Int64 { get }
}

extension Bool: NumericElement {
  public init(fromDouble value: Double) { self = value != 0 }
  public init(fromInt64 value: Int64) { self = value != 0 }
  public var doubleValue: Double { self ? 1 : 0 }
  public var int64Value: Int64 { self ? 1 : 0 }
}

extension Int64: NumericElement {
  /// NumPy's behaviour for NaN/inf/out of range (INT64_MIN); Swift's `Int64(_:)` would trap.
  public init(fromDouble value: Double) {
    self = value.isFinite && value > -9.223372036854775e18 && value < 9.223372036854775e18
      ? Int64(value) : Int64.min
  }
  public init(fromInt64 value: Int64) { self = value }
  public var doubleValue: Double { Double(self) }
  public var int64Value: Int64 { self }
}

/// Floating-point element types with the math the kernels need (libm, no Foundation).
public protocol FloatElement: NumericElement, BinaryFloatingPoint {
  static func exp(_ x: Self) -> Self
  static func log(_ x: Self) -> Self
  static func sin(_ x: Self) -> Self
  static func cos(_ x: Self) -> Self
  static func tan(_ x: Self) -> Self
  static func tanh(_ x: Self) -> Self
  static func log1p(_ x: Self) -> Self
  static func expm1(_ x: Self) -> Self
  static func pow(_ x: Self, _ y: Self) -> Self
}

extension Float: FloatElement {
  public init(fromDouble value: Double) { self = Float(value) }
  public init(fromInt64 value: Int64) { self = Float(value) }
  public var doubleValue: Double { Double(self) }
  public var int64Value: Int64 { Int64(fromDouble: Double(self)) }
  public static func exp(_ x: Float) -> Float { expf(x) }
  public static func log(_ x: Float) -> Float { logf(x) }
  public static func sin(_ x: Float) -> Float { sinf(x) }
  public static func cos(_ x: Float) -> Float { cosf(x) }
  public static func tan(_ x: Float) -> Float { tanf(x) }
  public static func tanh(_ x: Float) -> Float { tanhf(x) }
  public static func log1p(_ x: Float) -> Float { log1pf(x) }
  public static func expm1(_ x: Float) -> Float { expm1f(x) }
  public static func pow(_ x: Float, _ y: Float) -> Float { powf(x, y) }
}

extension Double: FloatElement {
  public init(fromDouble value: Double) { self = value }
  public init(fromInt64 value: Int64) { self = Double(value) }
  public var doubleValue: Double { self }
  public var int64Value: Int64 { Int64(fromDouble: self) }
  public static func exp(_ x: Double) -> Double { Glibc.exp(x) }
  public static func log(_ x: Double) -> Double { Glibc.log(x) }
  public static func sin(_ x: Double) -> Double { Glibc.sin(x) }
  public static func cos(_ x: Double) -> Double { Glibc.cos(x) }
  public static func tan(_ x: Double) -> Double { Glibc.tan(x) }
  public static func tanh(_ x: Double) -> Double { Glibc.tanh(x) }
  public static func log1p(_ x: Double) -> Double { Glibc.log1p(x) }
  public static func expm1(_ x: Double) -> Double { Glibc.expm1(x) }
  public static func pow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
}

/// Converts one element between any two element types.
@inline(__always)
func convertElement<S: NumericElement, D: NumericElement>(_ s: S, to _: D.Type) -> D {
  if S.self == D.self { return unsafeBitCast(s, to: D.self) }
  if let v = convertLowPrecision(s, to: D.self) { return v }
  return S.dtype.isFloatingPoint ? D(fromDouble: s.doubleValue) : D(fromInt64: s.int64Value)
}
