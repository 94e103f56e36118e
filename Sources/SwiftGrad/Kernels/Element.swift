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
  /// The imaginary part (0 for the real types), and the element of a complex value: the real types
  /// keep its real part, as NumPy's complex-to-real cast does (Note [Complex dtypes]).
  var imaginaryDouble: Double { get }
  init(real: Double, imaginary: Double)
}

extension NumericElement {
  public var imaginaryDouble: Double { 0 }
  public init(real: Double, imaginary: Double) { self.init(fromDouble: real) }
}

extension Bool: NumericElement {
  public init(fromDouble value: Double) { self = value != 0 }
  /// A complex value is true when either part is non-zero (NumPy's cast).
  public init(real: Double, imaginary: Double) { self = real != 0 || imaginary != 0 }
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

/// The narrow integers and uint64 (storage types: kernels compute in int64, Note [Low-precision
/// forward]). Conversions wrap as NumPy's casts do: from int64 by truncation to the width (uint64
/// takes the bit pattern), from floats through int64 (NaN, inf and out-of-range values as int64's).
public protocol WrappingIntegerElement: NumericElement, FixedWidthInteger {}
extension WrappingIntegerElement {
  public init(fromDouble value: Double) { self.init(truncatingIfNeeded: Int64(fromDouble: value)) }
  public init(fromInt64 value: Int64) { self.init(truncatingIfNeeded: value) }
  public var doubleValue: Double { Double(self) }
  public var int64Value: Int64 { Int64(truncatingIfNeeded: self) }
}
extension Int8: WrappingIntegerElement {}
extension Int16: WrappingIntegerElement {}
extension Int32: WrappingIntegerElement {}
extension UInt8: WrappingIntegerElement {}
extension UInt16: WrappingIntegerElement {}
extension UInt32: WrappingIntegerElement {}
extension UInt64: WrappingIntegerElement {
  /// Values in [2^63, 2^64) are exact here, not through int64 (which would make them negative).
  public init(fromDouble value: Double) {
    self = value >= 0x1p63 && value < 0x1p64 ? UInt64(value) : UInt64(truncatingIfNeeded: Int64(fromDouble: value))
  }
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
  if S.dtype.isComplex || D.dtype.isComplex {
    // Through the parts' values: a real destination keeps the real part (NumPy's cast).
    return D(real: s.doubleValue, imaginary: s.imaginaryDouble)
  }
  // uint64 to a float goes through its value (the int64 bit pattern would be negative above 2^63).
  let throughDouble = S.dtype.isFloatingPoint || (S.self == UInt64.self && D.dtype.isFloatingPoint)
  return throughDouble ? D(fromDouble: s.doubleValue) : D(fromInt64: s.int64Value)
}
