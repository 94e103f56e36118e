#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// NumPy's and the array API's `fft` module built on the `FFT` primitive (Note [Discrete Fourier
/// transform]): `n=`/`s=` cut or zero-pad an axis first; real transforms are the complex ones
/// followed by a slice (rfft) or preceded by the Hermitian extension of a half spectrum (irfft),
/// so every derivative comes from the primitive's and the slices'.

/// The scale of a transform of length `n` under `norm` ("backward": 1 forward, 1/n inverse;
/// "ortho": 1/sqrt(n) both ways; "forward": 1/n forward, 1 inverse).
func fourierScale(_ n: Int, norm: String, inverse: Bool, op: String) throws -> Double {
  switch norm {
  case "backward": return inverse ? 1 / Double(n) : 1
  case "ortho": return 1 / Double(n).squareRoot()
  case "forward": return inverse ? 1 : 1 / Double(n)
  default: throw SGError.value("\(op): norm must be 'backward', 'ortho' or 'forward', got '\(norm)'")
  }
}

/// `x` with `axis` cut or zero-padded to `n` entries.
func resizedAxis(_ x: Tensor, _ n: Int, axis: Int) throws -> Tensor {
  let length = x.shape[axis]
  if n == length { return x }
  if n < length { return try sliceAxis(x, axis: axis, start: 0, count: n) }
  var padShape = x.shape
  padShape[axis] = n - length
  return try concatenate([x, zeros(padShape, dtype: x.dtype)], axis: axis)
}

private func fourierAxis(_ x: Tensor, _ axis: Int, _ op: String) throws -> Int {
  guard x.ndim > 0 else { throw SGError.value("\(op): expected an array of at least one dimension, got a 0-d one") }
  return try normalizeAxis(axis, ndim: x.ndim, op: op)
}

private func checkedLength(_ n: Int, _ op: String) throws -> Int {
  guard n >= 1 else { throw SGError.value("\(op): invalid number of data points (\(n)); it must be at least 1") }
  return n
}

/// The one-dimensional transform along `axis` (inverse: ifft), of `n` points.
public func fft(_ x: Tensor, n: Int? = nil, axis: Int = -1, norm: String = "backward", inverse: Bool = false)
  throws -> Tensor {
  let op = inverse ? "ifft" : "fft"
  let a = try fourierAxis(x, axis, op)
  let length = try checkedLength(n ?? x.shape[a], op)
  let z = try cast(resizedAxis(x, length, axis: a), to: x.dtype.complexCounterpart)
  return try apply(FFT(axis: a, inverse: inverse, scale: fourierScale(length, norm: norm, inverse: inverse, op: op)),
    [z])
}

/// The transform of real `x`: the n / 2 + 1 non-negative frequencies.
public func rfft(_ x: Tensor, n: Int? = nil, axis: Int = -1, norm: String = "backward") throws -> Tensor {
  guard !x.dtype.isComplex else { throw SGError.type("rfft: expected a real input, got \(x.dtype)") }
  let a = try fourierAxis(x, axis, "rfft")
  let length = try checkedLength(n ?? x.shape[a], "rfft")
  let full = try fft(x, n: length, axis: a, norm: norm)
  return try sliceAxis(full, axis: a, start: 0, count: length / 2 + 1)
}

/// The real signal of `n` points (default 2 (m - 1)) whose rfft is the half spectrum `x`: the
/// inverse transform of its Hermitian extension X[n - k] = conj(X[k]), whose real part drops the
/// imaginary parts of X[0] (and of X[n / 2] for even n), as NumPy does.
public func irfft(_ x: Tensor, n: Int? = nil, axis: Int = -1, norm: String = "backward") throws -> Tensor {
  let a = try fourierAxis(x, axis, "irfft")
  let length = try checkedLength(n ?? 2 * (x.shape[a] - 1), "irfft")
  let half = length / 2 + 1
  let z = try cast(resizedAxis(x, half, axis: a), to: x.dtype.complexCounterpart)
  let mirrored = try conj(flip(sliceAxis(z, axis: a, start: 1, count: length - half), axes: [a]))
  let spectrum = try concatenate([z, mirrored], axis: a)
  return try real(apply(FFT(axis: a, inverse: true, scale: fourierScale(length, norm: norm, inverse: true,
    op: "irfft")), [spectrum]))
}

/// "backward" and "forward" exchanged (hfft and ihfft are irfft and rfft in the other direction).
private func swappedNorm(_ norm: String, op: String) throws -> String {
  _ = try fourierScale(1, norm: norm, inverse: false, op: op)  // names `op` in the error, not irfft/rfft
  return norm == "backward" ? "forward" : (norm == "forward" ? "backward" : norm)
}

/// The real spectrum of a signal with Hermitian symmetry given by its first half `x`.
public func hfft(_ x: Tensor, n: Int? = nil, axis: Int = -1, norm: String = "backward") throws -> Tensor {
  try irfft(conj(x), n: n, axis: axis, norm: swappedNorm(norm, op: "hfft"))
}

/// The inverse of hfft: the half spectrum (n / 2 + 1 values) of a real signal.
public func ihfft(_ x: Tensor, n: Int? = nil, axis: Int = -1, norm: String = "backward") throws -> Tensor {
  guard !x.dtype.isComplex else { throw SGError.type("ihfft: expected a real input, got \(x.dtype)") }
  return try conj(rfft(x, n: n, axis: axis, norm: swappedNorm(norm, op: "ihfft")))
}

/// The axes and lengths of an n-dimensional transform, NumPy's rules: no `s` and no `axes`: every
/// axis; `s` alone: the last len(s) axes; a length of -1 keeps the axis' own.
func fourierAxes(_ x: Tensor, s: [Int]?, axes: [Int]?, op: String) throws -> [(axis: Int, n: Int?)] {
  if let s, let axes, s.count != axes.count {
    throw SGError.value("\(op): s and axes must have the same length, got \(s.count) and \(axes.count)")
  }
  if axes == nil, let s, s.count > x.ndim {
    throw SGError.value("\(op): s has \(s.count) entries for an array of \(x.ndim) dimensions")
  }
  let chosen = try (axes ?? Array((x.ndim - (s?.count ?? x.ndim))..<x.ndim)).map {
    try normalizeAxis($0, ndim: x.ndim, op: op)
  }
  guard Set(chosen).count == chosen.count else { throw SGError.value("\(op): repeated axes \(chosen)") }
  return chosen.enumerated().map { i, a in (a, s.map { $0[i] == -1 ? nil : $0[i] } ?? nil) }
}

/// The n-dimensional transform (inverse: ifftn) over `axes`.
public func fftn(_ x: Tensor, s: [Int]? = nil, axes: [Int]? = nil, norm: String = "backward", inverse: Bool = false)
  throws -> Tensor {
  var y = x
  for (a, n) in try fourierAxes(x, s: s, axes: axes, op: inverse ? "ifftn" : "fftn") {
    y = try fft(y, n: n, axis: a, norm: norm, inverse: inverse)
  }
  return y.dtype.isComplex ? y : try cast(y, to: y.dtype.complexCounterpart)
}

/// rfft over the last of `axes`, then fft over the others.
public func rfftn(_ x: Tensor, s: [Int]? = nil, axes: [Int]? = nil, norm: String = "backward") throws -> Tensor {
  let plan = try fourierAxes(x, s: s, axes: axes, op: "rfftn")
  guard let last = plan.last else { return try cast(x, to: x.dtype.complexCounterpart) }
  var y = try rfft(x, n: last.n, axis: last.axis, norm: norm)
  for (a, n) in plan.dropLast() { y = try fft(y, n: n, axis: a, norm: norm) }
  return y
}

/// ifft over all but the last of `axes`, then irfft over it (default length 2 (m - 1)).
public func irfftn(_ x: Tensor, s: [Int]? = nil, axes: [Int]? = nil, norm: String = "backward") throws -> Tensor {
  let plan = try fourierAxes(x, s: s, axes: axes, op: "irfftn")
  guard let last = plan.last else { return try real(x) }
  var y = x
  for (a, n) in plan.dropLast() { y = try fft(y, n: n, axis: a, norm: norm, inverse: true) }
  return try irfft(y, n: last.n, axis: last.axis, norm: norm)
}

/// The sample frequencies of an n-point transform with sample spacing d: [0, 1, ..., -1] / (d n).
public func fftfreq(_ n: Int, d: Double = 1, dtype: DType = .float64, real: Bool = false) throws -> Tensor {
  let op = real ? "rfftfreq" : "fftfreq"
  guard n >= 1 else { throw SGError.value("\(op): n must be a positive integer, got \(n)") }
  let count = real ? n / 2 + 1 : n
  let t = try Tensor(uninitializedShape: [count], dtype: .float64)
  let p = t.pointer(Double.self)
  for k in 0..<count { p[k] = Double(real || k < (n + 1) / 2 ? k : k - n) / (d * Double(n)) }
  return try t.converted(to: dtype)
}

/// The zero frequency moved to the centre of `axes` (all by default); ifftshift undoes it.
public func fftshift(_ x: Tensor, axes: [Int]? = nil, inverse: Bool = false) throws -> Tensor {
  let chosen = try (axes ?? Array(0..<x.ndim)).map { try normalizeAxis($0, ndim: x.ndim, op: "fftshift") }
  if chosen.isEmpty { return x }
  return try roll(x, shifts: chosen.map { inverse ? -(x.shape[$0] / 2) : x.shape[$0] / 2 }, axes: chosen)
}

/// The `norm` argument (the fourth of every transform): None is NumPy's spelling of "backward".
private func fourierNorm(_ arguments: OperationArguments) throws -> String {
  try arguments.optionalString(3) ?? "backward"
}

/// The signatures of the one-axis and the n-dimensional transforms.
private let oneAxis = "a, n: int? = None, axis: int = -1, norm: str? = None"
private let severalAxes = "a, s: ints? = None, axes: ints? = None, norm: str? = None"

// MARK: Operation table (Note [One op table])
extension Operation {
  static let fourier: [Operation] = [
    Operation("fft", oneAxis,
      "The discrete Fourier transform along axis (n: cut or zero-padded length).", namespace: .fft) {
      [try fft($0.tensor(0), n: $0.optionalInt(1), axis: $0.int(2), norm: fourierNorm($0))]
    },
    Operation("ifft", oneAxis,
      "The inverse discrete Fourier transform along axis.", namespace: .fft) {
      [try fft($0.tensor(0), n: $0.optionalInt(1), axis: $0.int(2), norm: fourierNorm($0), inverse: true)]
    },
    Operation("rfft", oneAxis,
      "The transform of a real signal: its n // 2 + 1 non-negative frequencies.", namespace: .fft) {
      [try rfft($0.tensor(0), n: $0.optionalInt(1), axis: $0.int(2), norm: fourierNorm($0))]
    },
    Operation("irfft", oneAxis,
      "The real signal of n points (default 2 (m - 1)) whose rfft is a.", namespace: .fft) {
      [try irfft($0.tensor(0), n: $0.optionalInt(1), axis: $0.int(2), norm: fourierNorm($0))]
    },
    Operation("hfft", oneAxis,
      "The real spectrum of a Hermitian-symmetric signal given by its first half.", namespace: .fft) {
      [try hfft($0.tensor(0), n: $0.optionalInt(1), axis: $0.int(2), norm: fourierNorm($0))]
    },
    Operation("ihfft", oneAxis,
      "The inverse of hfft: the half spectrum of a real signal.", namespace: .fft) {
      [try ihfft($0.tensor(0), n: $0.optionalInt(1), axis: $0.int(2), norm: fourierNorm($0))]
    },
    Operation("fftn", severalAxes,
      "The n-dimensional transform over axes (s: their lengths).", namespace: .fft) {
      [try fftn($0.tensor(0), s: $0.optionalInts(1), axes: $0.optionalInts(2), norm: fourierNorm($0))]
    },
    Operation("ifftn", severalAxes,
      "The n-dimensional inverse transform over axes.", namespace: .fft) {
      [try fftn($0.tensor(0), s: $0.optionalInts(1), axes: $0.optionalInts(2), norm: fourierNorm($0), inverse: true)]
    },
    Operation("rfftn", severalAxes,
      "rfft over the last of axes, fft over the others.", namespace: .fft) {
      [try rfftn($0.tensor(0), s: $0.optionalInts(1), axes: $0.optionalInts(2), norm: fourierNorm($0))]
    },
    Operation("irfftn", severalAxes,
      "The inverse of rfftn (the last axis' length defaults to 2 (m - 1)).", namespace: .fft) {
      [try irfftn($0.tensor(0), s: $0.optionalInts(1), axes: $0.optionalInts(2), norm: fourierNorm($0))]
    },
    Operation("fftfreq", "n: int, d: float, dtype: int", "Sample frequencies of an n-point transform.",
      namespace: .hidden, differentiable: false) {
      [try fftfreq($0.int(0), d: $0.float(1), dtype: $0.dtype(2))]
    },
    Operation("rfftfreq", "n: int, d: float, dtype: int", "Sample frequencies of an n-point rfft.",
      namespace: .hidden, differentiable: false) {
      [try fftfreq($0.int(0), d: $0.float(1), dtype: $0.dtype(2), real: true)]
    },
    Operation("fftshift", "x, axes: ints? = None", "The zero frequency moved to the centre of axes (all: None).",
      namespace: .fft) { [try fftshift($0.tensor(0), axes: $0.optionalInts(1))] },
    Operation("ifftshift", "x, axes: ints? = None", "The inverse of fftshift.", namespace: .fft) {
      [try fftshift($0.tensor(0), axes: $0.optionalInts(1), inverse: true)]
    },
  ]
}
