#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Note [Discrete Fourier transform]: one primitive, `FFT`, the transform of a complex tensor
/// along one axis, y_k = scale * sum_j x_j e^(-+2 pi i jk / n) (minus forward, plus inverse).
/// Power-of-two lengths take an iterative radix-2 transform; other lengths Bluestein's chirp-z
/// algorithm, which turns the transform into a circular convolution of power-of-two length
/// m >= 2n - 1. Lanes compute in Double (complex64 rounds once). The transform is linear: its
/// JVP is itself on the tangent, and its VJP (the adjoint, Note [Complex dtypes]) is the
/// transform in the other direction with the same scale, as the DFT matrix F is symmetric and
/// F^H = conj(F). rfft, irfft, hfft, the n-dimensional forms and `n=` padding compose it with
/// slices, pads, conj and real parts (Composite/FourierComposites.swift), so their derivatives
/// of every order follow.
public struct FFT: LinearPrimitive, ComplexPrimitive {
  public static let name = "fft"
  public let axis: Int
  public let inverse: Bool
  public let scale: Double

  /// Real inputs are transformed as complex ones (their complex counterpart dtype).
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    try complexForward([inputs[0].converted(to: inputs[0].dtype.complexCounterpart)])
  }
  func complexForward(_ inputs: [Tensor]) throws -> Tensor {
    let x = try inputs[0].densified()
    let out = try Tensor(uninitializedShape: x.shape, dtype: x.dtype)
    let n = x.shape[axis]
    let inner = x.shape[(axis + 1)...].reduce(1, *)
    let lanes = n == 0 ? 0 : x.count / n
    if lanes == 0 { return out }
    let plan = FourierPlan(n, inverse: inverse)
    func run<R: FloatElement>(_: R.Type) {
      let (src, dst) = (x.pointer(Complex<R>.self), out.pointer(Complex<R>.self))
      let buffer = UnsafeMutablePointer<Complex<Double>>.allocate(capacity: n)
      defer { buffer.deallocate() }
      for lane in 0..<lanes {
        let base = (lane / inner) * n * inner + lane % inner
        for k in 0..<n {
          let z = src[base + k * inner]
          buffer[k] = Complex(z.re.doubleValue, z.im.doubleValue)
        }
        plan.transform(buffer)
        for k in 0..<n {
          let z = buffer[k]
          dst[base + k * inner] = Complex(R(fromDouble: z.re * scale), R(fromDouble: z.im * scale))
        }
      }
    }
    if x.dtype == .complex64 { run(Float.self) } else { run(Double.self) }
    return withExtendedLifetime(x) { out }
  }
  public func transpose(_ g: Tensor, input: Tensor) throws -> Tensor {
    try apply(FFT(axis: axis, inverse: !inverse, scale: scale), [g])
  }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) { try apply(FFT(axis: axis + 1, inverse: inverse, scale: scale), [$0]) }
  }
}

/// Twiddle factors and, for lengths other than powers of two, Bluestein's chirp and the
/// transformed convolution kernel, for transforms of one length and direction.
final class FourierPlan {
  let n: Int
  /// Power-of-two length of the transform actually run (n itself, or Bluestein's m).
  let m: Int
  /// e^(sign 2 pi i k / m), k < m / 2.
  let twiddles: [Complex<Double>]
  /// Bluestein: e^(sign pi i k^2 / n), k < n, and the forward transform of its conjugate's
  /// circular extension (length m).
  let chirp: [Complex<Double>]
  let kernel: [Complex<Double>]
  /// Bluestein's length-m work buffer, reused by every lane of a call (plans are per call).
  private var scratch: [Complex<Double>]

  init(_ n: Int, inverse: Bool) {
    self.n = n
    let sg: Double = inverse ? 1 : -1
    let power = n > 0 && n & (n - 1) == 0
    var size = 1
    if !power { while size < 2 * n - 1 { size <<= 1 } }
    m = power ? n : size
    let mm = m
    let w = (0..<(mm / 2)).map { k in
      let a = sg * 2 * Double.pi * Double(k) / Double(mm)
      return Complex(Glibc.cos(a), Glibc.sin(a))
    }
    twiddles = w
    guard !power else {
      chirp = []
      kernel = []
      scratch = []
      return
    }
    // k^2 mod 2n keeps the angle's argument small and exact (the chirp has period 2n in k^2).
    let c = (0..<n).map { k in
      let a = sg * Double.pi * Double((k * k) % (2 * n)) / Double(n)
      return Complex(Glibc.cos(a), Glibc.sin(a))
    }
    var b = [Complex<Double>](repeating: Complex(0, 0), count: mm)
    for k in 0..<n {
      b[k] = c[k].conjugate
      if k > 0 { b[mm - k] = c[k].conjugate }
    }
    b.withUnsafeMutableBufferPointer { FourierPlan.radix2($0.baseAddress!, mm, w, conjugate: false) }
    chirp = c
    kernel = b
    scratch = [Complex<Double>](repeating: Complex(0, 0), count: mm)
  }

  /// Transforms `n` values in place (unscaled).
  func transform(_ x: UnsafeMutablePointer<Complex<Double>>) {
    if n <= 1 { return }
    if chirp.isEmpty {
      FourierPlan.radix2(x, n, twiddles, conjugate: false)
      return
    }
    let (n, m, chirp, kernel, twiddles) = (self.n, self.m, self.chirp, self.kernel, self.twiddles)
    scratch.withUnsafeMutableBufferPointer { buffer in
      let a = buffer.baseAddress!
      for k in 0..<m { a[k] = k < n ? x[k] * chirp[k] : Complex(0, 0) }
      FourierPlan.radix2(a, m, twiddles, conjugate: false)
      for k in 0..<m { a[k] = a[k] * kernel[k] }
      FourierPlan.radix2(a, m, twiddles, conjugate: true)  // the inverse transform, unscaled
      let inv = 1 / Double(m)
      for k in 0..<n {
        let y = a[k] * chirp[k]
        x[k] = Complex(y.re * inv, y.im * inv)
      }
    }
  }

  /// The in-place radix-2 transform of `m` (a power of two) values: bit-reversal permutation,
  /// then butterflies; `conjugate` runs it with the conjugate twiddles (the other direction).
  static func radix2(_ x: UnsafeMutablePointer<Complex<Double>>, _ m: Int, _ w: [Complex<Double>], conjugate: Bool) {
    var j = 0
    for i in 1..<m {
      var bit = m >> 1
      while j & bit != 0 {
        j ^= bit
        bit >>= 1
      }
      j |= bit
      if i < j { (x[i], x[j]) = (x[j], x[i]) }
    }
    var len = 2
    while len <= m {
      let (half, step) = (len / 2, m / len)
      var start = 0
      while start < m {
        for k in 0..<half {
          let t = w[k * step]
          let twiddle = conjugate ? t.conjugate : t
          let (u, v) = (x[start + k], x[start + k + half] * twiddle)
          x[start + k] = u + v
          x[start + k + half] = u - v
        }
        start += len
      }
      len <<= 1
    }
  }
}
