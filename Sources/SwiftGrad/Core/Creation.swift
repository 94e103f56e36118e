#if canImport(Glibc)
  import Glibc
#endif

/// Tensor constructors. None of them record anything.

func zerosKernel(_ shape: [Int], dtype: DType) throws -> Tensor {
  let t = try Tensor(uninitializedShape: shape, dtype: dtype)
  t.baseAddress.initializeMemory(as: UInt8.self, repeating: 0, count: t.count * dtype.itemSize)
  return t
}

/// Bytes of physical memory: no single tensor may ask for more (the allocation would abort).
let physicalMemoryBytes: Int = Int(sysconf(Int32(_SC_PHYS_PAGES))) &* Int(sysconf(Int32(_SC_PAGESIZE)))

/// Rejects negative dimensions and shapes whose tensor could not be allocated.
func checkShape(_ shape: [Int], _ op: String, itemSize: Int = 8) throws {
  _ = try checkedByteCount(shape, itemSize: itemSize, op)
}

public func zeros(_ shape: [Int], dtype: DType = .float64) throws -> Tensor {
  try checkShape(shape, "zeros")
  return try zerosKernel(shape, dtype: dtype)
}

public func full(_ shape: [Int], _ value: Double, dtype: DType = .float64) throws -> Tensor {
  try checkShape(shape, "full")
  let t = try Tensor(uninitializedShape: shape, dtype: dtype)
  let n = t.count
  switch dtype {
  case .bool: t.pointer(Bool.self).initialize(repeating: value != 0, count: n)
  case .int64: t.pointer(Int64.self).initialize(repeating: Int64(fromDouble: value), count: n)
  case .float32: t.pointer(Float.self).initialize(repeating: Float(value), count: n)
  case .float64: t.pointer(Double.self).initialize(repeating: value, count: n)
  case .bfloat16: t.pointer(BFloat16.self).initialize(repeating: BFloat16(fromDouble: value), count: n)
  case .float16: t.pointer(Float16.self).initialize(repeating: Float16(fromDouble: value), count: n)
  case .int8: t.pointer(Int8.self).initialize(repeating: Int8(fromDouble: value), count: n)
  case .int16: t.pointer(Int16.self).initialize(repeating: Int16(fromDouble: value), count: n)
  case .int32: t.pointer(Int32.self).initialize(repeating: Int32(fromDouble: value), count: n)
  case .uint8: t.pointer(UInt8.self).initialize(repeating: UInt8(fromDouble: value), count: n)
  case .uint16: t.pointer(UInt16.self).initialize(repeating: UInt16(fromDouble: value), count: n)
  case .uint32: t.pointer(UInt32.self).initialize(repeating: UInt32(fromDouble: value), count: n)
  case .uint64: t.pointer(UInt64.self).initialize(repeating: UInt64(fromDouble: value), count: n)
  case .complex64: t.pointer(Complex<Float>.self).initialize(repeating: Complex(fromDouble: value), count: n)
  case .complex128: t.pointer(Complex<Double>.self).initialize(repeating: Complex(fromDouble: value), count: n)
  }
  return t
}

public func ones(_ shape: [Int], dtype: DType = .float64) throws -> Tensor { try full(shape, 1, dtype: dtype) }

/// A tensor holding `values` (row-major) in `shape`.
public func tensor(_ values: [Double], shape: [Int]? = nil, dtype: DType = .float64) throws -> Tensor {
  let shape = shape ?? [values.count]
  try checkShape(shape, "tensor")
  guard shape.reduce(1, *) == values.count else {
    throw SGError.value("tensor: \(values.count) values do not fill shape \(describe(shape))")
  }
  let t = try Tensor(uninitializedShape: shape, dtype: .float64)
  values.withUnsafeBufferPointer { t.pointer(Double.self).update(from: $0.baseAddress!, count: values.count) }
  return try t.converted(to: dtype)
}

/// `start, start + step, ...` below `stop` (NumPy's `arange`).
public func arange(_ start: Double, _ stop: Double, _ step: Double = 1, dtype: DType = .float64) throws -> Tensor {
  guard step != 0, step.isFinite, start.isFinite, stop.isFinite else {
    throw SGError.value("arange: step must be finite and non-zero, bounds finite (got \(start), \(stop), \(step))")
  }
  let length = ((stop - start) / step).rounded(.up)
  guard length <= Double(1 << 40) else { throw SGError.value("arange: \(length) elements is too many") }
  let n = length > 0 ? Int(length) : 0  // a huge negative length would trap in Int(_:)
  try checkShape([n], "arange")
  let t = try Tensor(uninitializedShape: [n], dtype: .float64)
  let p = t.pointer(Double.self)
  for i in 0..<n { p[i] = start + Double(i) * step }
  return try t.converted(to: dtype)
}

/// `num` evenly spaced values over [start, stop] (NumPy's `linspace`, endpoint included).
public func linspace(_ start: Double, _ stop: Double, count num: Int, dtype: DType = .float64) throws -> Tensor {
  guard num >= 0 else { throw SGError.value("linspace: Number of samples, \(num), must be non-negative.") }
  try checkShape([num], "linspace")
  let t = try Tensor(uninitializedShape: [num], dtype: .float64)
  let p = t.pointer(Double.self)
  let step = num > 1 ? (stop - start) / Double(num - 1) : 0
  for i in 0..<num { p[i] = start + Double(i) * step }
  if num > 1 { p[num - 1] = stop }
  return try t.converted(to: dtype)
}

/// `linspace` between complex ends: each part spaced as a real `linspace`, as NumPy's.
public func linspace(start: (re: Double, im: Double), stop: (re: Double, im: Double), count num: Int,
  dtype: DType) throws -> Tensor {
  guard dtype.isComplex else { throw SGError.type("linspace: complex ends need a complex dtype, got \(dtype)") }
  let (re, im) = (try linspace(start.re, stop.re, count: num), try linspace(start.im, stop.im, count: num))
  let t = try Tensor(uninitializedShape: [num], dtype: .complex128)
  let (p, r, i) = (t.pointer(Complex<Double>.self), re.pointer(Double.self), im.pointer(Double.self))
  for k in 0..<num { p[k] = Complex(r[k], i[k]) }
  return try t.converted(to: dtype)
}

/// Identity-like matrix with ones on diagonal `k`.
public func eye(_ n: Int, _ m: Int? = nil, k: Int = 0, dtype: DType = .float64) throws -> Tensor {
  let cols = m ?? n
  let t = try zeros([n, cols], dtype: .float64)
  let p = t.pointer(Double.self)
  for i in 0..<n where i + k >= 0 && i + k < cols { p[i * cols + i + k] = 1 }
  return try t.converted(to: dtype)
}

/// The global random generator (xoshiro256**), seeded by `Random.seed`.
public enum Random {
  private static let lock: UnsafeMutablePointer<pthread_mutex_t> = {
    let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    pthread_mutex_init(m, nil)
    return m
  }()
  nonisolated(unsafe) private static var state: (UInt64, UInt64, UInt64, UInt64) = (
    0x9E37_79B9_7F4A_7C15, 0xBF58_476D_1CE4_E5B9, 0x94D0_49BB_1331_11EB, 0x2545_F491_4F6C_DD1D
  )

  public static func seed(_ value: UInt64) {
    pthread_mutex_lock(lock)
    defer { pthread_mutex_unlock(lock) }
    var z = value
    func splitmix() -> UInt64 {
      z &+= 0x9E37_79B9_7F4A_7C15
      var x = z
      x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
      x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
      return x ^ (x >> 31)
    }
    state = (splitmix(), splitmix(), splitmix(), splitmix())
  }

  /// The generator's whole state (four words of xoshiro256**), to save and restore a stream.
  public static var currentState: [UInt64] {
    pthread_mutex_lock(lock)
    defer { pthread_mutex_unlock(lock) }
    return [state.0, state.1, state.2, state.3]
  }

  /// Restores a state from `currentState`: four words, not all zero (xoshiro256** never leaves
  /// the all-zero state).
  public static func setState(_ words: [UInt64]) throws {
    guard words.count == 4 else { throw SGError.value("set_state: expected four 64-bit words, got \(words.count)") }
    guard words.contains(where: { $0 != 0 }) else {
      throw SGError.value("set_state: the all-zero state is not a valid xoshiro256** state")
    }
    pthread_mutex_lock(lock)
    defer { pthread_mutex_unlock(lock) }
    state = (words[0], words[1], words[2], words[3])
  }

  /// `count` doubles uniform in [0, 1).
  static func uniforms(_ count: Int) -> [Double] {
    pthread_mutex_lock(lock)
    defer { pthread_mutex_unlock(lock) }
    var out = [Double](repeating: 0, count: count)
    for i in 0..<count {
      let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
      let t = state.1 << 17
      state.2 ^= state.0
      state.3 ^= state.1
      state.1 ^= state.2
      state.0 ^= state.3
      state.2 ^= t
      state.3 = (state.3 << 45) | (state.3 >> 19)
      out[i] = Double(result >> 11) * 0x1.0p-53
    }
    return out
  }

  public static func uniform(_ shape: [Int], low: Double = 0, high: Double = 1,
    dtype: DType = .float64) throws -> Tensor {
    try drawn(shape, op: "uniform") { try uniformSamples($0, low: low, high: high, dtype: dtype) }
  }

  /// `draw(shape)`, or under vmap the samples its randomness mode asks for (Note [Batching levels]).
  static func drawn(_ shape: [Int], op: String, _ draw: ([Int]) throws -> Tensor) throws -> Tensor {
    if !ThreadState.current.batchFrames.isEmpty { return try Batching.randomSamples(shape, op: op, draw) }
    return try draw(shape)
  }

  static func uniformSamples(_ shape: [Int], low: Double, high: Double, dtype: DType) throws -> Tensor {
    try checkShape(shape, "uniform")
    let u = uniforms(shape.reduce(1, *))
    return try tensor(u.map { low + (high - low) * $0 }, shape: shape, dtype: dtype)
  }

  /// Standard normal samples by Box-Muller.
  public static func normal(_ shape: [Int], mean: Double = 0, std: Double = 1,
    dtype: DType = .float64) throws -> Tensor {
    try drawn(shape, op: "normal") { try normalSamples($0, mean: mean, std: std, dtype: dtype) }
  }

  static func normalSamples(_ shape: [Int], mean: Double, std: Double, dtype: DType) throws -> Tensor {
    try checkShape(shape, "normal")
    let n = shape.reduce(1, *)
    let u = uniforms(2 * ((n + 1) / 2))
    var values = [Double](repeating: 0, count: n)
    for i in stride(from: 0, to: n, by: 2) {
      let r = (-2 * Glibc.log(1 - u[i])).squareRoot()
      let theta = 2 * Double.pi * u[i + 1]
      values[i] = mean + std * r * Glibc.cos(theta)
      if i + 1 < n { values[i + 1] = mean + std * r * Glibc.sin(theta) }
    }
    return try tensor(values, shape: shape, dtype: dtype)
  }
}

// MARK: Operation table (Note [One op table])
// Hidden: python/swiftgrad/__init__.py and random.py choose dtypes and defaults.
extension Operation {
  static let creation: [Operation] = [
    Operation("full", "shape: ints, fill_value: float, dtype: int", "A new tensor filled with fill_value.",
              namespace: .hidden, differentiable: false) { [try full($0.ints(0), $0.float(1), dtype: $0.dtype(2))] },
    Operation("arange", "start: float, stop: float, step: float, dtype: int", "Values in [start, stop) by step.",
              namespace: .hidden, differentiable: false) {
      [try arange($0.float(0), $0.float(1), $0.float(2), dtype: $0.dtype(3))]
    },
    Operation("linspace", "start: float, stop: float, num: int, dtype: int", "num values, both ends included.",
              namespace: .hidden, differentiable: false) {
      [try linspace($0.float(0), $0.float(1), count: $0.int(2), dtype: $0.dtype(3))]
    },
    Operation("complex_linspace", "start_re: float, start_im: float, stop_re: float, stop_im: float, num: int, "
              + "dtype: int", "num complex values, both ends included.", namespace: .hidden, differentiable: false) {
      [try linspace(start: ($0.float(0), $0.float(1)), stop: ($0.float(2), $0.float(3)), count: $0.int(4),
        dtype: $0.dtype(5))]
    },
    Operation("eye", "N: int, M: int, k: int, dtype: int", "Ones on diagonal k of an N x M matrix.",
              namespace: .hidden, differentiable: false) {
      let (n, m) = (try $0.int(0), try $0.int(1))
      guard n >= 0, m >= 0 else { throw SGError.value("eye: negative dimensions are not allowed (\(n), \(m))") }
      return [try eye(n, m, k: $0.int(2), dtype: $0.dtype(3))]
    },
    Operation("uniform", "shape: ints, low: float, high: float, dtype: int", "Samples from U[low, high).",
              namespace: .hidden, differentiable: false) {
      [try Random.uniform($0.ints(0), low: $0.float(1), high: $0.float(2), dtype: $0.dtype(3))]
    },
    Operation("normal", "shape: ints, mean: float, std: float, dtype: int", "Normal samples.",
              namespace: .hidden, differentiable: false) {
      [try Random.normal($0.ints(0), mean: $0.float(1), std: $0.float(2), dtype: $0.dtype(3))]
    },
  ]
}
