/// real, imag, conj and angle: the primitives that split, conjugate or measure complex numbers
/// (Note [Complex dtypes] in Kernels/Complex.swift). On real inputs they are NumPy's: real and
/// conj the input, imag zeros, angle 0 or pi.

/// The real part: a view of the complex input's memory, as NumPy's `.real`.
public struct RealPart: LinearPrimitive, ComplexPrimitive {
  public static let name = "real"
  public func forward(_ inputs: [Tensor]) throws -> Tensor { inputs[0] }
  func complexForward(_ inputs: [Tensor]) throws -> Tensor { inputs[0].complexPart(0) }
  /// g + 0i: the gradient of a real loss along the imaginary part is 0.
  public func transpose(_ g: Tensor, input: Tensor) throws -> Tensor { try cast(g, to: input.dtype) }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) { (try apply(self, inputs), axes[0]) }
}

/// The imaginary part: a view of the complex input's memory; zeros for a real input.
public struct ImagPart: LinearPrimitive, ComplexPrimitive {
  public static let name = "imag"
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    try zerosKernel(inputs[0].shape, dtype: inputs[0].dtype.isInexact ? inputs[0].dtype : .float64)
  }
  func complexForward(_ inputs: [Tensor]) throws -> Tensor { inputs[0].complexPart(1) }
  /// 0 + ig (a real input: zeros).
  public func transpose(_ g: Tensor, input: Tensor) throws -> Tensor {
    guard input.dtype.isComplex else { return try zeros(input.shape, dtype: input.dtype) }
    return try mul(cast(g, to: input.dtype), complexScalar(0, 1))
  }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) { (try apply(self, inputs), axes[0]) }
}

/// The complex conjugate (a real input: itself). Its VJP conjugates the cotangent too.
public struct Conjugate: LinearPrimitive, ComplexPrimitive {
  public static let name = "conj"
  public func forward(_ inputs: [Tensor]) throws -> Tensor { inputs[0] }
  func complexForward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    if x.dtype == .complex64 { return try mapElements(x, to: x.dtype) { (z: Complex<Float>) in z.conjugate } }
    return try mapElements(x, to: x.dtype) { (z: Complex<Double>) in z.conjugate }
  }
  public func transpose(_ g: Tensor, input: Tensor) throws -> Tensor { try conj(g) }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) { (try apply(self, inputs), axes[0]) }
}

/// The argument atan2(im, re), a real result; for real inputs 0 or pi (NaN stays NaN).
public struct Angle: ElementwiseUnary, ComplexPrimitive {
  public static let name = "angle"
  public static var isComputeBound: Bool { false }
  public static func apply<T: FloatElement>(_ x: T) -> T { x < 0 ? T(fromDouble: Double.pi) : (x.isNaN ? x : 0) }
  func complexForward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    if x.dtype == .complex64 { return try mapElements(x, to: .float32) { (z: Complex<Float>) in z.argument } }
    return try mapElements(x, to: .float64) { (z: Complex<Double>) in z.argument }
  }
  /// Complex x: -i conj(x) / |x|^2 (0 at 0), so the VJP is PyTorch's g * i x / |x|^2 and the
  /// JVP im(conj(x) t) / |x|^2. Real x: 0 (the angle is piecewise constant).
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor {
    guard x.dtype.isComplex else { return try full([], 0, dtype: y.dtype) }
    let m = try abs(x)
    return try mul(conj(div(complexSign(x, m), `where`(equal(m, 0), full([], 1, dtype: m.dtype), m))),
      complexScalar(0, -1))
  }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    try realTangent(tangents[0].map { try mul($0, derivative(inputs[0], output: output)) }, of: inputs[0])
  }
}

/// x / |x| for complex x, 0 where x is 0 (PyTorch's `sgn`); `m` is |x|.
func complexSign(_ x: Tensor, _ m: Tensor) throws -> Tensor {
  let zero = try equal(m, 0)
  return try `where`(zero, full([], 0, dtype: x.dtype), div(x, `where`(zero, full([], 1, dtype: m.dtype), m)))
}

/// The real part of a tangent of a real-valued function of a complex input (nil stays nil).
func realTangent(_ t: Tensor?, of x: Tensor) throws -> Tensor? {
  guard let t, x.dtype.isComplex else { return t }
  return try real(t)
}

/// |t|^2: t^2 for real t, re(t conj(t)) (a real tensor) for complex t, as NumPy's var measures spread.
func squaredMagnitude(_ t: Tensor) throws -> Tensor { t.dtype.isComplex ? try real(mul(t, conj(t))) : try square(t) }

/// `t` conjugated when it is complex (the VJP rules' partials, Note [Complex dtypes]).
func conjugated(_ t: Tensor) throws -> Tensor { t.dtype.isComplex ? try conj(t) : t }

/// A weakly typed complex128 scalar (a Python complex): float32 operands make it complex64.
public func complexScalar(_ re: Double, _ im: Double) throws -> Tensor {
  let t = try Tensor(uninitializedShape: [], dtype: .complex128)
  t.pointer(Complex<Double>.self)[0] = Complex(re, im)
  t.isWeaklyTyped = true
  return t
}

public func real(_ x: Tensor) throws -> Tensor { try apply(RealPart(), [x]) }
public func imag(_ x: Tensor) throws -> Tensor { try apply(ImagPart(), [x]) }
public func conj(_ x: Tensor) throws -> Tensor { try apply(Conjugate(), [x]) }
public func angle(_ x: Tensor) throws -> Tensor { try apply(Angle(), [x]) }

// MARK: Operation table (Note [One op table])
extension Operation {
  static let complexParts: [Operation] = [
    .unary("real", "The real part (a view for complex inputs; the input itself for real ones).", real),
    .unary("imag", "The imaginary part (a view for complex inputs; zeros for real ones).", imag),
    .unary("conj", "The complex conjugate (the input itself for real ones).", conj),
    .unary("angle", "The argument atan2(imag, real) of complex inputs; 0 or pi for real ones.",
      domain: .awayFromZero, angle),
  ]
}
