/// Cumulative sums and products along one axis (NumPy's `cumsum`, `cumprod`).

/// Runs `step(acc, x)` along `axis` of a contiguous copy of `x`, front to back or back to
/// front, writing every partial result.
func scanKernel<T: NumericElement>(_ x: Tensor, axis: Int, reverse: Bool, initial: T,
  _ step: (T, T) -> T) throws -> Tensor {
  let src = try x.converted(to: T.dtype).densified()
  let out = try Tensor(uninitializedShape: x.shape, dtype: T.dtype)
  let n = x.shape[axis]
  let inner = x.shape[(axis + 1)...].reduce(1, *)
  let outer = x.shape[..<axis].reduce(1, *)
  let (p, q) = (src.pointer(T.self), out.pointer(T.self))
  for o in 0..<outer {
    for i in 0..<inner {
      var acc = initial
      for k in 0..<n {
        let j = (o * n + (reverse ? n - 1 - k : k)) * inner + i
        acc = try step(acc, p[j])
        q[j] = acc
      }
    }
  }
  return out
}

/// Running sum along `axis` (from the end when `reverse`). Linear; its transpose is the
/// running sum in the other direction.
public struct Cumsum: LinearPrimitive {
  public static let name = "cumsum"
  public let axis: Int
  public let reverse: Bool
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    switch x.dtype {
    case .float32: return try scanKernel(x, axis: axis, reverse: reverse, initial: Float(0), +)
    case .float64: return try scanKernel(x, axis: axis, reverse: reverse, initial: Double(0), +)
    case .int64, .bool: return try scanKernel(x, axis: axis, reverse: reverse, initial: Int64(0), &+)
    default: throw storageOnly(x.dtype)
    }
  }
  public func transpose(_ g: Tensor, input: Tensor) throws -> Tensor {
    try apply(Cumsum(axis: axis, reverse: !reverse), [g])
  }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) { try apply(Cumsum(axis: axis + 1, reverse: reverse), [$0]) }
  }
}

/// Complex: over a real view of the parts (the sum is linear, each part accumulates by itself).
extension Cumsum: ComplexPartwise {}

/// Running product along `axis`.
///
/// Note [Cumprod with zeros]: the textbook rule, reverse_cumsum(g * y) / x, divides by zero
/// at zeros. With xs = x with zeros replaced by 1, ys = cumprod(xs) and c = the running count
/// of zeros, the derivative of y_i by x_j (j <= i) is ys_i / xs_j when no zero other than
/// x_j lies in x_0..x_i (that is c_i == [x_j == 0]), and 0 otherwise. So
///   grad_j = reverse_cumsum(g * ys * [c == 0])_j / xs_j   where x_j != 0,
///   grad_j = reverse_cumsum(g * ys * [c == 1])_j          where x_j == 0
/// (only the first zero of a slice gets a gradient), and the JVP is
///   ys * ([c == 0] * cumsum(t / xs) + [c == 1] * cumsum(t * [first zero])).
/// Both are exact first derivatives everywhere and use only recorded ops, so they
/// differentiate again; second derivatives are exact where no input is exactly zero (at a zero
/// the masks are held fixed, so mixed terms through that zero are dropped, as for `prod`).
public struct Cumprod: Primitive {
  public static let name = "cumprod"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try taylorFromJVP(self, inputs, output: y, series: series, readsOutput: Self.readsOutput)
  }
  public let axis: Int
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    switch x.dtype {
    case .float32: return try scanKernel(x, axis: axis, reverse: false, initial: Float(1), *)
    case .float64: return try scanKernel(x, axis: axis, reverse: false, initial: Double(1), *)
    case .int64, .bool: return try scanKernel(x, axis: axis, reverse: false, initial: Int64(1), &*)
    default: throw storageOnly(x.dtype)
    }
  }

  /// (xs, ys, [c == 0], [c == 1], zero mask) of Note [Cumprod with zeros].
  func parts(_ x: Tensor) throws -> (Tensor, Tensor, Tensor, Tensor, Tensor) {
    let isZero = try equal(x, 0)
    let xs = try `where`(isZero, full([], 1, dtype: x.dtype), x)
    let ys = try apply(self, [xs])
    let count = try apply(Cumsum(axis: axis, reverse: false), [isZero])
    return (xs, ys, try cast(equal(count, 0), to: x.dtype), try cast(equal(count, 1), to: x.dtype), isZero)
  }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    let (xs, ys, none, one, isZero) = try parts(inputs[0])
    let gy = try mul(g, ys)
    let back = Cumsum(axis: axis, reverse: true)
    let beforeZero = try div(apply(back, [mul(gy, none)]), xs)
    let atZero = try apply(back, [mul(gy, one)])
    return [try `where`(isZero, atZero, beforeZero)]
  }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    guard let t = tangents[0] else { return nil }
    let (xs, ys, none, one, isZero) = try parts(inputs[0])
    let forward = Cumsum(axis: axis, reverse: false)
    let firstZero = try mul(cast(isZero, to: ys.dtype), one)
    let smooth = try mul(none, apply(forward, [div(t, xs)]))
    let throughZero = try mul(one, apply(forward, [mul(t, firstZero)]))
    return try mul(ys, add(smooth, throughZero))
  }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) { try apply(Cumprod(axis: axis + 1), [$0]) }
  }
}

/// The input flattened when `axis` is nil (NumPy's axis=None), and the normalised axis.
func scanOperand(_ x: Tensor, _ axis: Int?, op: String) throws -> (Tensor, Int) {
  guard let axis else { return (try reshape(x, [-1]), 0) }
  return (x, try normalizeAxis(axis, ndim: x.ndim, op: op))
}

/// NumPy's `cumsum`: bool and int64 inputs sum in int64.
public func cumsum(_ x: Tensor, axis: Int? = nil) throws -> Tensor {
  let (v, a) = try scanOperand(x, axis, op: "cumsum")
  return try apply(Cumsum(axis: a, reverse: false), [v])
}

/// NumPy's `cumprod`; gradients are exact with zeros in the input (Note [Cumprod with zeros]).
public func cumprod(_ x: Tensor, axis: Int? = nil) throws -> Tensor {
  let (v, a) = try scanOperand(x, axis, op: "cumprod")
  return try apply(Cumprod(axis: a), [v])
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let scans: [Operation] = [
    Operation("cumsum", "a, axis: int? = None", "Running sum along axis (None: of the flattened array).",
              method: "cumsum") { [try cumsum($0.tensor(0), axis: $0.optionalInt(1))] },
    Operation("cumprod", "a, axis: int? = None", "Running product along axis; exact gradients with zeros.",
              method: "cumprod") { [try cumprod($0.tensor(0), axis: $0.optionalInt(1))] },
  ]
}
