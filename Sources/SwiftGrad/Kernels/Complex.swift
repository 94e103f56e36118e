import CBLAS

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The element of complex64 (`Complex<Float>`) and complex128 (`Complex<Double>`): the real part
/// then the imaginary part, the layout of C's `float complex`, NumPy's and BLAS's.
@frozen public struct Complex<R: FloatElement>: Equatable {
  public var re: R
  public var im: R
  @inline(__always) public init(_ re: R, _ im: R) {
    self.re = re
    self.im = im
  }

  @inline(__always) static func + (a: Complex, b: Complex) -> Complex { Complex(a.re + b.re, a.im + b.im) }
  @inline(__always) static func - (a: Complex, b: Complex) -> Complex { Complex(a.re - b.re, a.im - b.im) }
  @inline(__always) static prefix func - (a: Complex) -> Complex { Complex(-a.re, -a.im) }
  @inline(__always) static func * (a: Complex, b: Complex) -> Complex {
    Complex(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re)
  }
  /// Smith's algorithm (as NumPy): scaling by the larger part of `b` avoids overflow in |b|^2.
  @inline(__always) static func / (a: Complex, b: Complex) -> Complex {
    if Swift.abs(b.re) >= Swift.abs(b.im) {
      if b.re == 0 && b.im == 0 { return Complex(a.re / Swift.abs(b.re), a.im / Swift.abs(b.im)) }
      let r = b.im / b.re
      let d = b.re + b.im * r
      return Complex((a.re + a.im * r) / d, (a.im - a.re * r) / d)
    }
    let r = b.re / b.im
    let d = b.re * r + b.im
    return Complex((a.re * r + a.im) / d, (a.im * r - a.re) / d)
  }
  @inline(__always) var conjugate: Complex { Complex(re, -im) }
  /// |z| without overflow or underflow of the squares: sqrt(x^2 + y^2) in Double (safe for every
  /// complex64 value; an infinite part gives inf even beside a NaN, as C99's hypot); libm's hypot,
  /// 20x slower, only where complex128 squares leave Double's range.
  @inline(__always) var magnitude: R {
    let (x, y) = (re.doubleValue, im.doubleValue)
    let s = x * x + y * y
    if R.self == Float.self {  // selects, no call: the loop vectorises
      let infinite = Swift.abs(x) == .infinity || Swift.abs(y) == .infinity
      return R(fromDouble: infinite ? .infinity : s.squareRoot())
    }
    return R(fromDouble: s > 0x1p-1000 && s < 0x1p1000 ? s.squareRoot() : hypot(x, y))
  }
  @inline(__always) var argument: R { R(fromDouble: atan2(im.doubleValue, re.doubleValue)) }
}

extension Complex: Sendable where R: Sendable {}

extension Complex: NumericElement {
  public init(fromDouble value: Double) { self.init(R(fromDouble: value), 0) }
  public init(fromInt64 value: Int64) { self.init(R(fromInt64: value), 0) }
  public init(real: Double, imaginary: Double) { self.init(R(fromDouble: real), R(fromDouble: imaginary)) }
  public var doubleValue: Double { re.doubleValue }
  public var int64Value: Int64 { re.int64Value }
  public var imaginaryDouble: Double { im.doubleValue }
}

extension Tensor {
  /// One part of a complex tensor (0: real, 1: imaginary) as a real view of the same memory.
  func complexPart(_ k: Int) -> Tensor {
    Tensor(storage: storage, shape: shape, strides: strides.map { $0 * 2 }, offset: offset * 2 + k,
      dtype: dtype.realPart)
  }
  /// A complex tensor's memory as a real tensor with a trailing axis of 2 (real, imaginary).
  func complexPartsView() -> Tensor {
    Tensor(storage: storage, shape: shape + [2], strides: strides.map { $0 * 2 } + [1], offset: offset * 2,
      dtype: dtype.realPart)
  }
}

/// The inverse of `complexPartsView` for a new real result whose last axis holds the parts.
func complexFromParts(_ parts: Tensor, dtype: DType) throws -> Tensor {
  let d = parts.isContiguous && parts.offset % 2 == 0 ? parts : try copyKernel(parts, to: parts.dtype)
  let shape = Array(d.shape.dropLast())
  return Tensor(storage: d.storage, shape: shape, strides: contiguousStrides(shape), offset: d.offset / 2, dtype: dtype)
}

// MARK: - Note [Complex dtypes]
// complex64/complex128 compute in themselves, but kernels are written for real types, so a
// primitive takes complex operands only when it says how (`ComplexPrimitive`, checked in
// `forwardInStorageDType`, the one place every forward goes through): the elementwise families
// below (`ComplexUnary`, `ComplexBinary`: add, subtract, multiply, divide, power, negative,
// square, and the elementary functions of ComplexMath.swift), abs, angle and sign, the float
// tests, round, real/imag/conj, sum, cumsum and scatter-add (real ones over a view of the
// parts), prod, == and != (ordering raises), matmul (cgemm/zgemm), and the primitives that only
// move elements (views, casts, copies, where, take). Any other
// primitive given a complex operand raises a TypeError naming itself and the dtype, rather than
// reading the parts as if they were reals.
//
// Derivatives follow PyTorch: for a real loss L of z = x + iy, the gradient is
// dL/dx + i dL/dy (the conjugate Wirtinger derivative, times 2), so gradient descent on z
// descends L. For a holomorphic op y = f(z) the VJP is g * conj(f'(z)) and the JVP t * f'(z);
// `BinaryPartials` and `ElementwiseUnary` conjugate their partials in the VJP. JAX's grad
// returns the conjugate of this. A real input reached by a complex cotangent gets its real part
// (backward's `conform` casts a gradient to its input's dtype), as in PyTorch.

/// A primitive whose forward accepts complex operands.
protocol ComplexPrimitive { func complexForward(_ inputs: [Tensor]) throws -> Tensor }

/// An elementwise unary op with a complex formula of the same dtype.
protocol ComplexUnary: ComplexPrimitive {
  static func applyComplex<R: FloatElement>(_ z: Complex<R>) -> Complex<R>
}
extension ComplexUnary {
  func complexForward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    if x.dtype == .complex64 {
      return try mapElements(x, to: x.dtype) { (z: Complex<Float>) in Self.applyComplex(z) }
    }
    return try mapElements(x, to: x.dtype) { (z: Complex<Double>) in Self.applyComplex(z) }
  }
}

/// An elementwise binary op with a complex formula; operands are promoted and broadcast.
protocol ComplexBinary: ComplexPrimitive {
  static func applyComplex<R: FloatElement>(_ a: Complex<R>, _ b: Complex<R>) -> Complex<R>
}
extension ComplexBinary {
  func complexForward(_ inputs: [Tensor]) throws -> Tensor {
    let shape = try broadcastShapes(inputs[0].shape, inputs[1].shape)
    let dtype = resultType(inputs[0], inputs[1])
    let (a, b) = (try inputs[0].converted(to: dtype), try inputs[1].converted(to: dtype))
    if dtype == .complex64 {
      return try mapElements(a, b, shape: shape, to: dtype) { (x: Complex<Float>, y: Complex<Float>) in
        Self.applyComplex(x, y)
      }
    }
    return try mapElements(a, b, shape: shape, to: dtype) { (x: Complex<Double>, y: Complex<Double>) in
      Self.applyComplex(x, y)
    }
  }
}

extension Add: ComplexBinary {
  static func applyComplex<R: FloatElement>(_ a: Complex<R>, _ b: Complex<R>) -> Complex<R> { a + b }
}
extension Sub: ComplexBinary {
  static func applyComplex<R: FloatElement>(_ a: Complex<R>, _ b: Complex<R>) -> Complex<R> { a - b }
}
extension Mul: ComplexBinary {
  static func applyComplex<R: FloatElement>(_ a: Complex<R>, _ b: Complex<R>) -> Complex<R> { a * b }
}
extension Div: ComplexBinary {
  static func applyComplex<R: FloatElement>(_ a: Complex<R>, _ b: Complex<R>) -> Complex<R> { a / b }
}
extension Neg: ComplexUnary {
  static func applyComplex<R: FloatElement>(_ z: Complex<R>) -> Complex<R> { -z }
}

/// a ** b = exp(b log a) (principal branch); squares and first powers exactly, 0 ** b as NumPy
/// (0 for a real positive b, NaN otherwise), a ** 0 = 1.
extension Pow: ComplexBinary {
  static func applyComplex<R: FloatElement>(_ a: Complex<R>, _ b: Complex<R>) -> Complex<R> {
    if b.im == 0 && b.re == 2 { return a * a }
    if b.im == 0 && b.re == 1 { return a }
    if b.im == 0 && b.re == 0 { return Complex(1, 0) }
    if a.re == 0 && a.im == 0 {
      return b.im == 0 && b.re > 0 ? Complex(0, 0) : Complex(R(fromDouble: .nan), R(fromDouble: .nan))
    }
    let w = Complex<Double>(b.re.doubleValue, b.im.doubleValue) * Complex.log(Complex<Double>(a.re.doubleValue,
      a.im.doubleValue))
    let y = Complex<Double>.exp(w)
    return Complex(R(fromDouble: y.re), R(fromDouble: y.im))
  }
}

extension Square: ComplexUnary {
  static func applyComplex<R: FloatElement>(_ z: Complex<R>) -> Complex<R> { z * z }
}

extension Abs: ComplexPrimitive {
  func complexForward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    if x.dtype == .complex64 { return try mapElements(x, to: .float32) { (z: Complex<Float>) in z.magnitude } }
    return try mapElements(x, to: .float64) { (z: Complex<Double>) in z.magnitude }
  }
}

extension Sum: ComplexPrimitive {
  func complexForward(_ inputs: [Tensor]) throws -> Tensor {
    if let fast = try complexSumOfTrailingAxes(inputs[0], axes: axes, keepDims: keepDims) { return fast }
    // The parts' trailing axis is never among `axes` (normalized, within the complex rank).
    return try complexFromParts(forward([inputs[0].complexPartsView()]), dtype: inputs[0].dtype)
  }
}

/// The sum over trailing axes of a contiguous complex tensor (the common case: all axes): the
/// interleaved parts are summed eight lanes at a time, even lanes real, odd lanes imaginary, in Double.
/// The general path (a real sum over a strided view of the parts) is 10x slower.
private func complexSumOfTrailingAxes(_ x: Tensor, axes: [Int], keepDims: Bool) throws -> Tensor? {
  guard x.isContiguous, axes.sorted() == Array((x.ndim - axes.count)..<x.ndim) else { return nil }
  let inner = axes.reduce(1) { $0 * x.shape[$1] }
  let leading = Array(x.shape.prefix(x.ndim - axes.count))
  let out = try Tensor(uninitializedShape: keepDims ? leading + Array(repeating: 1, count: axes.count) : leading,
    dtype: x.dtype)
  func run<R: FloatElement>(_: R.Type) {
    let (p, po) = (x.pointer(R.self), out.pointer(Complex<R>.self))
    for o in 0..<out.count {
      let base = p + o * inner * 2
      var (a0, a1) = (SIMD8<Double>(), SIMD8<Double>())
      var i = 0
      while i + 16 <= inner * 2 {
        a0 += VectorMath.load(base + i)
        a1 += VectorMath.load(base + i + 8)
        i += 16
      }
      let a = a0 + a1
      var (re, im) = (a[0] + a[2] + a[4] + a[6], a[1] + a[3] + a[5] + a[7])
      while i < inner * 2 {
        re += base[i].doubleValue
        im += base[i + 1].doubleValue
        i += 2
      }
      po[o] = Complex(R(fromDouble: re), R(fromDouble: im))
    }
  }
  if x.dtype == .complex64 { run(Float.self) } else { run(Double.self) }
  return out
}

/// == and != compare both parts; ordering is not defined for complex numbers (NumPy orders them
/// lexicographically, the array API and PyTorch refuse): a TypeError.
extension Compare: ComplexPrimitive {
  func complexForward(_ inputs: [Tensor]) throws -> Tensor {
    let names: [Compare.Op: String] = [.less: "less", .lessEqual: "less_equal", .greater: "greater",
      .greaterEqual: "greater_equal"]
    if let name = names[op] {
      throw SGError.type("\(name) is not defined for complex numbers (operands: "
        + inputs.map(\.dtype.description).joined(separator: ", ") + "); compare abs(z) or real(z)")
    }
    let shape = try broadcastShapes(inputs[0].shape, inputs[1].shape)
    let dtype = resultType(inputs[0], inputs[1])
    let (a, b) = (try inputs[0].converted(to: dtype), try inputs[1].converted(to: dtype))
    let equal = op == .equal
    if dtype == .complex64 {
      return try mapElements(a, b, shape: shape, to: .bool) { (x: Complex<Float>, y: Complex<Float>) in
        (x == y) == equal
      }
    }
    return try mapElements(a, b, shape: shape, to: .bool) { (x: Complex<Double>, y: Complex<Double>) in
      (x == y) == equal
    }
  }
}

/// Complex matmul: cblas_cgemm/zgemm on contiguous copies of each operand broadcast to the batch,
/// or a plain loop when the loaded BLAS lacks them. The VJP (MatMul.vjp) conjugates the transposes.
extension MatMul: ComplexPrimitive {
  func complexForward(_ inputs: [Tensor]) throws -> Tensor {
    let dtype = DType.promote(inputs[0].dtype, inputs[1].dtype)
    let (a0, b0) = (try inputs[0].converted(to: dtype), try inputs[1].converted(to: dtype))
    let batch = try broadcastShapes(Array(a0.shape.dropLast(2)), Array(b0.shape.dropLast(2)))
    let (m, k, n) = (a0.shape[a0.ndim - 2], a0.shape[a0.ndim - 1], b0.shape[b0.ndim - 1])
    let out = try zerosKernel(batch + [m, n], dtype: dtype)
    if m == 0 || n == 0 || k == 0 { return out }
    try requireBLAS("matmul", dimensions: [m, n, k])
    let a = try copyKernel(a0.broadcastView(to: batch + [m, k]), to: dtype)
    let b = try copyKernel(b0.broadcastView(to: batch + [k, n]), to: dtype)
    let count = batch.reduce(1, *)
    let item = dtype.itemSize
    let useBLAS = sg_blas_has_complex_gemm() != 0
    func loop<R: FloatElement>(_: R.Type) {
      let (pa, pb, po) = (a.pointer(Complex<R>.self), b.pointer(Complex<R>.self), out.pointer(Complex<R>.self))
      for s in 0..<count {
        let (sa, sb, so) = (pa + s * m * k, pb + s * k * n, po + s * m * n)
        for i in 0..<m {
          for p in 0..<k {
            let x = sa[i * k + p]
            for j in 0..<n { so[i * n + j] = so[i * n + j] + x * sb[p * n + j] }
          }
        }
      }
    }
    guard useBLAS else {
      if dtype == .complex64 { loop(Float.self) } else { loop(Double.self) }
      return withExtendedLifetime((a, b)) { out }
    }
    let (m32, n32, k32) = (Int32(m), Int32(n), Int32(k))
    for s in 0..<count {
      let (pa, pb, po) = (a.baseAddress + s * m * k * item, b.baseAddress + s * k * n * item,
        out.baseAddress + s * m * n * item)
      if dtype == .complex64 { sg_cgemm(m32, n32, k32, pa, k32, pb, n32, po, n32) }
      else { sg_zgemm(m32, n32, k32, pa, k32, pb, n32, po, n32) }
    }
    return withExtendedLifetime((a, b)) { out }
  }
}

/// Primitives that treat each part of a complex operand as a real number of its own (linear with
/// real coefficients, or partwise like round): the forward runs on a real view of input 0's parts
/// (a trailing axis of 2), the other inputs as they are, and the result is viewed back as complex.
protocol ComplexPartwise: ComplexPrimitive, Primitive {}
extension ComplexPartwise {
  func complexForward(_ inputs: [Tensor]) throws -> Tensor {
    try complexFromParts(forward([inputs[0].complexPartsView()] + inputs.dropFirst()), dtype: inputs[0].dtype)
  }
}

/// Primitives that write their operands' elements into zeros or a new buffer (copyInto, any dtype).
protocol ComplexElementMove: ComplexPrimitive, Primitive {}
extension ComplexElementMove {
  func complexForward(_ inputs: [Tensor]) throws -> Tensor { try forward(inputs) }
}
extension IndexEmbed: ComplexElementMove {}
extension DiagonalEmbed: ComplexElementMove {}
extension Concatenate: ComplexElementMove {}

extension Primitive {
  /// The forward of a primitive given a complex operand (Note [Complex dtypes]).
  func complexForwardOrRefusal(_ inputs: [Tensor]) throws -> Tensor {
    if let p = self as? ComplexPrimitive { return try p.complexForward(inputs) }
    if self is StorageGenericPrimitive { return try forward(inputs) }
    let dtypes = inputs.map(\.dtype.description).joined(separator: ", ")
    throw SGError.type("\(Self.name) does not support complex dtypes yet (operands: \(dtypes))")
  }
}
