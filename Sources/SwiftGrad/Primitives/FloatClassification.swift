/// Elementwise classification of floating-point values (NumPy's isnan, isinf, isfinite, signbit):
/// bool results, no derivative. Integers and bools are never NaN or infinite.
public struct Classify: Primitive {
  public enum Test: Int32, Sendable { case nan, infinite, finite, signBit }
  public static let name = "classify"
  public static var isDifferentiable: Bool { false }
  public let test: Test

  @inline(__always)
  static func holds<T: FloatElement>(_ test: Test, _ x: T) -> Bool {
    switch test {
    case .nan: return x.isNaN
    case .infinite: return x.isInfinite
    case .finite: return x.isFinite
    case .signBit: return x.sign == .minus
    }
  }

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    let test = self.test
    if x.dtype == .float32 {
      return try mapElements(x, to: .bool) { (v: Float) in Classify.holds(test, v) }
    }
    if x.dtype == .float64 {
      return try mapElements(x, to: .bool) { (v: Double) in Classify.holds(test, v) }
    }
    let xi = try x.converted(to: .int64)
    return try mapElements(xi, to: .bool) { (v: Int64) in test == .finite || (test == .signBit && v < 0) }
  }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor) throws -> [Tensor?] { [nil] }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? { nil }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) { (try apply(self, inputs), axes[0]) }
}

/// Complex: NaN when either part is, infinite when either part is (even beside a NaN, as C99
/// and the array API say), finite when both parts are; the sign bit is not defined for them.
extension Classify: ComplexPrimitive {
  func complexForward(_ inputs: [Tensor]) throws -> Tensor {
    let (x, test) = (inputs[0], self.test)
    guard test != .signBit else {
      throw SGError.type("signbit is not defined for complex numbers (operands: \(x.dtype))")
    }
    func holds<R: FloatElement>(_ z: Complex<R>) -> Bool {
      switch test {
      case .nan: return z.re.isNaN || z.im.isNaN
      case .infinite: return z.re.isInfinite || z.im.isInfinite
      default: return z.re.isFinite && z.im.isFinite
      }
    }
    if x.dtype == .complex64 { return try mapElements(x, to: .bool) { (z: Complex<Float>) in holds(z) } }
    return try mapElements(x, to: .bool) { (z: Complex<Double>) in holds(z) }
  }
}

public func isnan(_ x: Tensor) throws -> Tensor { try apply(Classify(test: .nan), [x]) }
public func isinf(_ x: Tensor) throws -> Tensor { try apply(Classify(test: .infinite), [x]) }
public func isfinite(_ x: Tensor) throws -> Tensor { try apply(Classify(test: .finite), [x]) }
public func signbit(_ x: Tensor) throws -> Tensor { try apply(Classify(test: .signBit), [x]) }

// MARK: Operation table (Note [One op table])
extension Operation {
  static let floatClassification: [Operation] = [
    .unary("isnan", "Elementwise test for NaN (bool).", differentiable: false, isnan),
    .unary("isinf", "Elementwise test for positive or negative infinity (bool).", differentiable: false, isinf),
    .unary("isfinite", "Elementwise test for a value neither infinite nor NaN (bool).", differentiable: false,
           isfinite),
    .unary("signbit", "Elementwise test of the sign bit (true for -0.0 and negative NaN; bool).",
           differentiable: false, signbit),
  ]
}
