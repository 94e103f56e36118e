/// Note [Vector transcendental kernels]: glibc's `exp`/`tanh`/`sin`/`cos` are scalar calls (5-16 ns per
/// element here) while NumPy evaluates them with SIMD. These kernels evaluate eight lanes at a
/// time with plain arithmetic that the compiler vectorises: Cody-Waite range reduction
/// x = k ln2 + r (|r| <= ln2/2), a degree-13 Taylor polynomial for e^r (truncation error below
/// 5e-18, so results are within a few ulp of the correctly rounded value), and 2^k built from
/// its exponent bits. A group of eight lanes with any lane outside the reduced range (overflow,
/// underflow to subnormals, NaN) is computed by the scalar libm routine instead, so special
/// values behave exactly as before. Float32 lanes are widened to Double and narrowed back.
enum VectorMath {
  typealias Lanes = SIMD8<Double>

  /// |x| bounds within which k stays a normal exponent (2^k and 2^k * e^r are normal numbers).
  static let reducedLow = -708.0
  static let reducedHigh = 709.0

  /// Returns k (as Double and as its 2^k scale) and r with x = k ln2 + r.
  @inline(__always)
  private static func reduce(_ x: Lanes) -> (k: Lanes, scale: Lanes, r: Lanes) {
    // Adding 1.5 * 2^52 rounds to the nearest integer in the low mantissa bits (no SSE4.1
    // round instruction needed); subtracting it back gives k as a Double.
    let shifter: Lanes = Lanes(repeating: 6755399441055744.0)
    let shifted = x * 1.4426950408889634 + shifter
    let k = shifted - shifter
    // fdlibm's split of ln2: k * ln2High is exact for |k| < 2^20.
    let r = (x - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10
    let kBits = unsafeBitCast(shifted, to: SIMD8<Int64>.self) &- 0x4338_0000_0000_0000
    let scale = unsafeBitCast((kBits &+ 1023) &<< 52, to: Lanes.self)
    return (k, scale, r)
  }

  /// e^r - 1 for |r| <= ln2/2 by Taylor's series to degree 13 (Horner; r^14/14! < 5e-18).
  @inline(__always)
  private static func expm1Reduced(_ r: Lanes) -> Lanes {
    var p: Lanes = Lanes(repeating: 1.0 / 6227020800.0)  // 1/13!
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    return r + (r * r) * p
  }

  @inline(__always)
  private static func inReducedRange(_ x: Lanes) -> Bool {
    all((x .>= Lanes(repeating: reducedLow)) .& (x .<= Lanes(repeating: reducedHigh)))
  }

  @inline(__always)
  static func exp(_ x: Lanes) -> Lanes? {
    guard inReducedRange(x) else { return nil }
    let (_, scale, r) = reduce(x)
    return (expm1Reduced(r) + 1) * scale
  }

  /// tanh(x) = sign(x) * m / (m + 2) with m = e^(2|x|) - 1: no cancellation near zero, and
  /// |x| > 20 gives +-1 to double precision, so the clamp never changes a result.
  @inline(__always)
  static func tanh(_ x: Lanes) -> Lanes? {
    guard all(x .== x) else { return nil }  // NaN lanes: libm
    let magnitude = unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt64>.self) & 0x7FFF_FFFF_FFFF_FFFF, to: Lanes.self)
    let twice = 2 * magnitude.replacing(with: 20, where: magnitude .> 20)
    let (_, scale, r) = reduce(twice)
    let m = expm1Reduced(r) * scale + (scale - 1)
    let t = m / (m + 2)
    let sign = unsafeBitCast(x, to: SIMD8<UInt64>.self) & 0x8000_0000_0000_0000
    return unsafeBitCast(unsafeBitCast(t, to: SIMD8<UInt64>.self) | sign, to: Lanes.self)
  }

  /// 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below: e = e^-|x| never overflows.
  @inline(__always)
  static func sigmoid(_ x: Lanes) -> Lanes? {
    let magnitude = unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt64>.self) & 0x7FFF_FFFF_FFFF_FFFF, to: Lanes.self)
    guard let e = exp(-magnitude) else { return nil }
    let positive = 1 / (1 + e)
    return positive.replacing(with: e * positive, where: x .< 0)
  }

  /// |x| up to which the three-part reduction by pi/2 below keeps sin/cos within a few ulp.
  static let trigonometricLimit = 1.0e5

  /// sin and cos of lanes with |x| <= trigonometricLimit: x = k pi/2 + r (|r| <= pi/4, fdlibm's
  /// three-part pi/2), Taylor polynomials of degree 17/18 for sin r and cos r (truncation below
  /// 1e-19), then the quadrant k mod 4 picks and signs them.
  @inline(__always)
  private static func sinCos(_ x: Lanes) -> (sin: Lanes, cos: Lanes, quadrant: SIMD8<Int64>) {
    let shifter = Lanes(repeating: 6755399441055744.0)
    let shifted = x * 0.63661977236758134308 + shifter
    let k = shifted - shifter
    let r = ((x - k * 1.57079632673412561417e+00) - k * 6.07710050630396597660e-11) - k * 2.02226624879595063154e-21
    let quadrant = (unsafeBitCast(shifted, to: SIMD8<Int64>.self) &- 0x4338_0000_0000_0000) & 3
    let r2 = r * r
    var s: Lanes = Lanes(repeating: 1.0 / 355687428096000.0)
    s = s * r2 - 1.0 / 1307674368000.0
    s = s * r2 + 1.0 / 6227020800.0
    s = s * r2 - 1.0 / 39916800.0
    s = s * r2 + 1.0 / 362880.0
    s = s * r2 - 1.0 / 5040.0
    s = s * r2 + 1.0 / 120.0
    s = s * r2 - 1.0 / 6.0
    var c: Lanes = Lanes(repeating: 1.0 / 6402373705728000.0)
    c = c * r2 - 1.0 / 20922789888000.0
    c = c * r2 + 1.0 / 87178291200.0
    c = c * r2 - 1.0 / 479001600.0
    c = c * r2 + 1.0 / 3628800.0
    c = c * r2 - 1.0 / 40320.0
    c = c * r2 + 1.0 / 720.0
    c = c * r2 - 1.0 / 24.0
    c = c * r2 + 0.5
    return (r + (r * r2) * s, 1 - r2 * c, quadrant)
  }

  @inline(__always)
  private static func inTrigonometricRange(_ x: Lanes) -> Bool {
    all((x .>= Lanes(repeating: -trigonometricLimit)) .& (x .<= Lanes(repeating: trigonometricLimit)))
  }

  @inline(__always)
  static func sin(_ x: Lanes) -> Lanes? {
    guard inTrigonometricRange(x) else { return nil }  // also NaN
    let (s, c, q) = sinCos(x)
    let value = s.replacing(with: c, where: (q & 1) .== 1)
    return value.replacing(with: -value, where: (q & 2) .== 2)
  }

  @inline(__always)
  static func cos(_ x: Lanes) -> Lanes? {
    guard inTrigonometricRange(x) else { return nil }
    let (s, c, q) = sinCos(x)
    let value = c.replacing(with: s, where: (q & 1) .== 1)
    return value.replacing(with: -value, where: ((q &+ 1) & 2) .== 2)
  }

  /// Applies `lanes` eight elements at a time over contiguous memory; groups it declines, and
  /// the tail, go through `scalar`. Float lanes are widened to Double and rounded back once.
  @inline(__always)
  static func map<T: FloatElement>(
    _ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>, _ range: Range<Int>,
    lanes: (Lanes) -> Lanes?, scalar: (T) -> T
  ) {
    var i = range.lowerBound
    while i + 8 <= range.upperBound {
      if let y = lanes(load(src + i)) {
        store(y, dst + i)
      } else {
        for j in i..<(i + 8) { dst[j] = scalar(src[j]) }
      }
      i += 8
    }
    while i < range.upperBound {
      dst[i] = scalar(src[i])
      i += 1
    }
  }

  /// Eight consecutive elements as Double lanes (Float and Double; resolved when specialised).
  @inline(__always)
  static func load<T: FloatElement>(_ p: UnsafePointer<T>) -> Lanes {
    if T.self == Double.self { return UnsafeRawPointer(p).loadUnaligned(as: Lanes.self) }
    return Lanes(UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self))
  }

  @inline(__always)
  static func store<T: FloatElement>(_ v: Lanes, _ p: UnsafeMutablePointer<T>) {
    if T.self == Double.self {
      UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self)
    } else {
      UnsafeMutableRawPointer(p).storeBytes(of: SIMD8<Float>(v), as: SIMD8<Float>.self)
    }
  }
}

/// erf in eight lanes for float32 results (Gelu's float32 kernel; Note [Vector transcendental
/// kernels]): u P(u^2) for |u| < 2 and sign(u) (1 - e^(-u^2) Q(|u| - 3)) for 2 <= |u| < 4, with P
/// and Q degree-12 polynomials fitted (Chebyshev, with NumPy and SciPy's erf/erfcx in float64) to
/// erf(u)/u on u^2 in [0, 4] and to erfcx(u) = e^(u^2) erfc(u) on [2, 4]; relative error below
/// 1e-11, far inside float32's half ulp. |u| >= 4 gives +-1, as float32's erf does from 3.92 on.
/// Lanes with a NaN are declined (libm's erff takes them).
extension VectorMath {
  /// P(t) ~ erf(u) / u, t = u^2 in [0, 4]: Horner's rule written out (constants in the code, no table loads).
  @inline(__always)
  private static func erfOverU(_ x: Lanes) -> Lanes {
    var p = Lanes(repeating: 1.5940633344637667e-11)
    p = p * x + -5.942245532916281e-10
    p = p * x + 1.1276829978771668e-08
    p = p * x + -1.5003007787464044e-07
    p = p * x + 1.6093265269505665e-06
    p = p * x + -1.4855625044122277e-05
    p = p * x + 0.00012046112579917437
    p = p * x + -0.0008547506440231186
    p = p * x + 0.0052239304716356575
    p = p * x + -0.02686615445152273
    p = p * x + 0.11283791381131335
    p = p * x + -0.3761263888276013
    p = p * x + 1.1283791670931274
    return p
  }

  /// Q(s) ~ erfcx(s + 3), s in [-1, 1]: Horner's rule written out (constants in the code, no table loads).
  @inline(__always)
  private static func erfcxMiddle(_ x: Lanes) -> Lanes {
    var p = Lanes(repeating: 1.7758098855114668e-08)
    p = p * x + -7.831878977402226e-08
    p = p * x + 2.853195571162707e-07
    p = p * x + -1.2180840361203097e-06
    p = p * x + 5.14917103626966e-06
    p = p * x + -2.0998778480842416e-05
    p = p * x + 8.355317333163516e-05
    p = p * x + -0.0003241228023479937
    p = p * x + 0.0012230392144654725
    p = p * x + -0.004479431363295538
    p = p * x + 0.015884371149693776
    p = p * x + -0.054372259994798895
    p = p * x + 0.17900115118149407
    return p
  }

  @inline(__always)
  static func erfForFloat(_ u: Lanes) -> Lanes? {
    guard all(u .== u) else { return nil }
    let bits = unsafeBitCast(u, to: SIMD8<UInt64>.self)
    let magnitude = unsafeBitCast(bits & 0x7FFF_FFFF_FFFF_FFFF, to: Lanes.self)
    let t = u * u
    var value = u * erfOverU(t.replacing(with: 4, where: t .> 4))
    guard any(magnitude .>= 2) else { return value }
    let clamped = magnitude.replacing(with: 4, where: magnitude .> 4)
    guard let decay = exp(-(clamped * clamped)) else { return nil }
    let tail = 1 - decay * erfcxMiddle(clamped - 3)
    let saturated = tail.replacing(with: 1, where: magnitude .>= 4)
    let signed = unsafeBitCast(unsafeBitCast(saturated, to: SIMD8<UInt64>.self) | (bits & 0x8000_0000_0000_0000),
      to: Lanes.self)
    value.replace(with: signed, where: magnitude .>= 2)
    return value
  }
}
