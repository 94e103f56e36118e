/// Elementwise unary primitives.
///
/// Note [Elementwise family]: an op states its value formula and its derivative dy/dx as a
/// differentiable expression; the VJP (g * dy/dx) and JVP (t * dy/dx) come from the family
/// (PyTorch's `auto_element_wise`). Integer and bool inputs compute in float64 unless the op
/// keeps integers (neg, abs, square, relu, sign), as in NumPy.
public protocol ElementwiseUnary: Primitive {
  static func apply<T: FloatElement>(_ x: T) -> T
  /// The integer version, for ops that keep integer dtypes; nil means "compute in float64".
  static func applyInteger(_ x: Int64) -> Int64?
  func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor
  /// dy/dx from x and y as numbers, for the fused fast path of `vjp` (nil: no fast path).
  static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T?
  /// Whether one element costs enough (libm calls) for large inputs to be split across
  /// threads; memory-bound ops (neg, abs, ...) are faster on one.
  static var isComputeBound: Bool { get }
  /// Eight lanes of `apply` for contiguous float inputs (Note [Vector transcendental
  /// kernels]); nil declines the group, which then goes through `apply`.
  static func applyLanes(_ x: SIMD8<Double>) -> SIMD8<Double>?
  static var hasLaneKernel: Bool { get }
  /// `apply` over a block, for graph mode's fused loops (Note [Elementwise fusion]); stated
  /// as requirements so each op's loop is compiled for its own formula, not dispatched per element.
  static var blockLoop64: BlockLoop<Double> { get }
  static var blockLoop32: BlockLoop<Float> { get }
  /// f'(x) and f''(x) / 2 as tensors, for the collapsed Laplacian's shortcut (Note [Collapsed
  /// Taylor mode]); nil (the default): the collapsed jet runs `taylor`.
  func secondOrder(_ x: Tensor, output y: Tensor) throws -> (first: Tensor, half: Tensor)?
}

/// A loop over `count` elements: `out[i] = f(a[i])` (unary) or `f(a[i], b[i])` (binary).
public typealias BlockLoop<T> = (_ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>,
  _ count: Int) -> Void

extension ElementwiseUnary {
  public func secondOrder(_ x: Tensor, output y: Tensor) throws -> (first: Tensor, half: Tensor)? { nil }
  public static func applyInteger(_ x: Int64) -> Int64? { nil }
  public static var isComputeBound: Bool { true }
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { nil }
  public static func applyLanes(_ x: SIMD8<Double>) -> SIMD8<Double>? { nil }
  public static var hasLaneKernel: Bool { false }
  public static var blockLoop64: BlockLoop<Double> { unaryBlockLoop() }
  public static var blockLoop32: BlockLoop<Float> { unaryBlockLoop() }

  static func unaryBlockLoop<T: FloatElement>() -> BlockLoop<T> {
    if hasLaneKernel { return { a, _, out, n in VectorMath.map(a, out, 0..<n, lanes: applyLanes, scalar: apply) } }
    return { a, _, out, n in for i in 0..<n { out[i] = apply(a[i]) } }
  }

  /// Note [Fused unary VJP]: when the gradient is not itself recorded (no create_graph, no
  /// forward mode), g * dy/dx is one loop instead of the 2-4 ops of `derivative`. The
  /// differentiable `derivative` remains the definition: first-order gradchecks exercise this
  /// path, second-order ones the other.
  func fusedVJP(_ x: Tensor, _ y: Tensor, _ g: Tensor) throws -> Tensor? {
    guard !GradMode.isEnabled, ProgramRecorder.current == nil, Self.derivativeValue(1.0, 1.0) != nil,
      y.dtype.isFloatingPoint, !y.dtype.isLowPrecision, !x.dtype.isComplex,
      g.isUnperturbed, x.isUnperturbed, y.isUnperturbed, g.shape == y.shape,
      g.batch == nil, x.batch == nil, y.batch == nil
    else { return nil }
    let (xc, gc) = (try x.converted(to: y.dtype), try g.converted(to: y.dtype))
    if y.dtype == .float32 {
      return try mapElements(gc, xc, y,
        to: .float32) { (g: Float, x: Float, y: Float) in g * (Self.derivativeValue(x, y) ?? 0) }
    }
    return try mapElements(gc, xc, y,
      to: .float64) { (g: Double, x: Double, y: Double) in g * (Self.derivativeValue(x, y) ?? 0) }
  }

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    if !x.dtype.isFloatingPoint && Self.applyInteger(0) != nil {
      return try mapElements(try x.converted(to: .int64), to: .int64) { (v: Int64) in Self.applyInteger(v)! }
    }
    let xf = try x.converted(to: x.dtype.floatingPoint)
    if Self.hasLaneKernel && xf.isContiguous { return try forwardByLanes(xf) }
    switch xf.dtype {
    case .float32: return try mapElements(xf, to: .float32,
      parallel: Self.isComputeBound) { (v: Float) in Self.apply(v) }
    default: return try mapElements(xf, to: .float64, parallel: Self.isComputeBound) { (v: Double) in Self.apply(v) }
    }
  }

  private func forwardByLanes(_ x: Tensor) throws -> Tensor {
    let out = try Tensor(uninitializedLike: x, dtype: x.dtype)
    func run<T: FloatElement>(_: T.Type) {
      let (src, dst) = (x.pointer(T.self), out.pointer(T.self))
      Parallel.forChunks(out.count) { r in VectorMath.map(src, dst, r, lanes: Self.applyLanes, scalar: Self.apply) }
    }
    if x.dtype == .float32 { run(Float.self) } else { run(Double.self) }
    return out
  }

  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor) throws -> [Tensor?] {
    if let fused = try fusedVJP(inputs[0], output, cotangent) { return [fused] }
    return [try mul(cotangent, conjugated(derivative(inputs[0], output: output)))]  // Note [Complex dtypes]
  }

  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    guard let t = tangents[0] else { return nil }
    return try mul(t, derivative(inputs[0], output: output))
  }

  /// Derived from `derivative` (Note [Taylor rule families]); the common ops state their recurrence.
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try taylorFromJVP(self, inputs, output: y, series: series, readsOutput: Self.readsOutput)
  }

  /// Elementwise: the physical tensor goes through as it is, batch axis and all.
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    (try SwiftGrad.apply(self, inputs), axes[0])
  }
}

/// Linear: its rules negate instead of multiplying by -1.
public struct Neg: ElementwiseUnary {
  public static let name = "neg"
  public static var isComputeBound: Bool { false }
  public static var readsValues: Bool { false }
  public static func apply<T: FloatElement>(_ x: T) -> T { -x }
  public static func applyInteger(_ x: Int64) -> Int64? { 0 &- x }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor { try full([], -1, dtype: y.dtype) }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor) throws -> [Tensor?] {
    [try neg(cotangent)]
  }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    try tangents[0].map(neg)
  }
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try linearTaylor(self, inputs, output: y, series: series)
  }
}

public struct Exp: ElementwiseUnary {
  public static let name = "exp"
  public func secondOrder(_ x: Tensor, output y: Tensor) throws -> (first: Tensor, half: Tensor)? {
    (y, try mul(y, 0.5))
  }
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try recurrence(inputs, y, series) { xs, ys, k in try odeTerm(xs, ys, k) }  // y' = y x'
  }
  public static var hasLaneKernel: Bool { true }
  public static func applyLanes(_ x: SIMD8<Double>) -> SIMD8<Double>? { VectorMath.exp(x) }
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { y }
  public static var readsOutput: Bool { true }
  public static func apply<T: FloatElement>(_ x: T) -> T { T.exp(x) }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor { y }
}

public struct Log: ElementwiseUnary {
  public static let name = "log"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    // x y' = x': y_k = (x_k - (1/k) sum_{j<k} (k-j) x_j y_{k-j}) / x_0
    try recurrence(inputs, y, series) { xs, ys, k in
      var num = xs[k]
      for j in 1..<k { num = try sub(num, mul(mul(xs[j], ys[k - j]), Double(k - j) / Double(k))) }
      return try div(num, xs[0])
    }
  }
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { 1 / x }
  public static func apply<T: FloatElement>(_ x: T) -> T { T.log(x) }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor { try reciprocal(x) }
}

public struct Sin: ElementwiseUnary {
  public static let name = "sin"
  public func secondOrder(_ x: Tensor, output y: Tensor) throws -> (first: Tensor, half: Tensor)? {
    (try cos(x), try mul(y, -0.5))
  }
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    var cs = [try cos(inputs[0])]  // sin' = cos x', cos' = -sin x'
    return try recurrence(inputs, y, series) { xs, ys, k in
      cs.append(try neg(odeTerm(xs, ys, k)))
      return try odeTerm(xs, cs, k)
    }
  }
  public static var hasLaneKernel: Bool { true }
  public static func applyLanes(_ x: SIMD8<Double>) -> SIMD8<Double>? { VectorMath.sin(x) }
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { T.cos(x) }
  public static func apply<T: FloatElement>(_ x: T) -> T { T.sin(x) }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor { try cos(x) }
}

public struct Cos: ElementwiseUnary {
  public static let name = "cos"
  public func secondOrder(_ x: Tensor, output y: Tensor) throws -> (first: Tensor, half: Tensor)? {
    (try mul(sin(x), -1), try mul(y, -0.5))
  }
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    var ss = [try sin(inputs[0])]  // cos' = -sin x', sin' = cos x'
    return try recurrence(inputs, y, series) { xs, ys, k in
      ss.append(try odeTerm(xs, ys, k))
      return try neg(odeTerm(xs, ss, k))
    }
  }
  public static var hasLaneKernel: Bool { true }
  public static func applyLanes(_ x: SIMD8<Double>) -> SIMD8<Double>? { VectorMath.cos(x) }
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { -T.sin(x) }
  public static func apply<T: FloatElement>(_ x: T) -> T { T.cos(x) }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor { try neg(sin(x)) }
}

public struct Tan: ElementwiseUnary {
  public static let name = "tan"
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { 1 + y * y }
  public static var readsOutput: Bool { true }
  public static func apply<T: FloatElement>(_ x: T) -> T { T.tan(x) }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor { try add(square(y), 1) }
}

public struct Tanh: ElementwiseUnary {
  public static let name = "tanh"
  public func secondOrder(_ x: Tensor, output y: Tensor) throws -> (first: Tensor, half: Tensor)? {
    let d = try rsub(1, square(y))  // f'' = -2 y f'
    return (d, try mul(mul(y, -1), d))
  }
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    var zs = [try rsub(1, square(y))]  // y' = z x', z = 1 - y^2
    return try recurrence(inputs, y, series) { xs, ys, k in
      if k > 1 { zs.append(try squareTerm(ys, k - 1, scale: -1)!) }
      return try odeTerm(xs, zs, k)
    }
  }
  public static var hasLaneKernel: Bool { true }
  public static func applyLanes(_ x: SIMD8<Double>) -> SIMD8<Double>? { VectorMath.tanh(x) }
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { 1 - y * y }
  public static var readsOutput: Bool { true }
  public static func apply<T: FloatElement>(_ x: T) -> T { T.tanh(x) }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor { try rsub(1, square(y)) }
}

public struct Sigmoid: ElementwiseUnary {
  public static let name = "sigmoid"
  public func secondOrder(_ x: Tensor, output y: Tensor) throws -> (first: Tensor, half: Tensor)? {
    let d = try mul(y, rsub(1, y))  // f'' = (1 - 2 y) f'
    return (d, try mul(d, rsub(0.5, y)))
  }
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    var zs = [try mul(y, rsub(1, y))]  // y' = z x', z = y - y^2
    return try recurrence(inputs, y, series) { xs, ys, k in
      if k > 1 { zs.append(try sub(ys[k - 1], squareTerm(ys, k - 1)!)) }
      return try odeTerm(xs, zs, k)
    }
  }
  public static var hasLaneKernel: Bool { true }
  public static func applyLanes(_ x: SIMD8<Double>) -> SIMD8<Double>? { VectorMath.sigmoid(x) }
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { y * (1 - y) }
  public static var readsOutput: Bool { true }
  /// Split by sign so neither branch overflows exp.
  public static func apply<T: FloatElement>(_ x: T) -> T {
    if x >= 0 { return 1 / (1 + T.exp(-x)) }
    let e = T.exp(x)
    return e / (1 + e)
  }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor { try mul(y, rsub(1, y)) }
}

public struct Relu: ElementwiseUnary {
  public static let name = "relu"
  public static var isComputeBound: Bool { false }
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { x > 0 ? 1 : 0 }
  /// `x > 0 ? x : 0` keeps NaN (NumPy's maximum(x, 0) propagates it).
  public static func apply<T: FloatElement>(_ x: T) -> T { x > 0 || x.isNaN ? x : 0 }
  public static func applyInteger(_ x: Int64) -> Int64? { Swift.max(x, 0) }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor {
    try cast(greater(x, 0), to: y.dtype)
  }
}

public struct Sqrt: ElementwiseUnary {
  public static let name = "sqrt"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    // y^2 = x: y_k = (x_k - sum_{0<i<k} y_i y_{k-i}) / (2 y_0)
    try recurrence(inputs, y, series) { xs, ys, k in
      let num = try squareTerm(ys, k, from: 1).map { try sub(xs[k], $0) } ?? xs[k]
      return try div(num, mul(ys[0], 2))
    }
  }
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { 0.5 / y }
  public static var readsOutput: Bool { true }
  public static func apply<T: FloatElement>(_ x: T) -> T { x.squareRoot() }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor { try div(0.5, y) }
}

public struct Abs: ElementwiseUnary {
  public static let name = "abs"
  public static var isComputeBound: Bool { false }
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { x > 0 ? 1 : (x < 0 ? -1 : 0) }
  public static func apply<T: FloatElement>(_ x: T) -> T { Swift.abs(x) }
  public static func applyInteger(_ x: Int64) -> Int64? { x < 0 ? 0 &- x : x }
  /// Complex x: conj(x) / |x| (0 at 0), so the VJP is PyTorch's g * x / |x| and the JVP
  /// re(t * conj(x)) / |x| (Note [Complex dtypes]).
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor {
    x.dtype.isComplex ? try conj(complexSign(x, y)) : try sign(x)
  }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    try realTangent(tangents[0].map { try mul($0, derivative(inputs[0], output: output)) }, of: inputs[0])
  }
}

public struct Sign: ElementwiseUnary {
  public static let name = "sign"
  public static var isComputeBound: Bool { false }
  public static func apply<T: FloatElement>(_ x: T) -> T { x > 0 ? 1 : (x < 0 ? -1 : (x.isNaN ? x : 0)) }
  public static func applyInteger(_ x: Int64) -> Int64? { x > 0 ? 1 : (x < 0 ? -1 : 0) }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor { try full([], 0, dtype: y.dtype) }
  /// Complex x: sign(x) = x / |x| moves along the unit circle only, and both its JVP and its VJP
  /// map v to (v - s re(conj(s) v)) / |x| (s = sign(x); 0 at x = 0), as PyTorch's `sgn`.
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor) throws -> [Tensor?] {
    guard inputs[0].dtype.isComplex else { return [try mul(cotangent, derivative(inputs[0], output: output))] }
    return [try complexSignTangent(cotangent, inputs[0])]
  }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    guard let t = tangents[0] else { return nil }
    guard inputs[0].dtype.isComplex else { return try mul(t, derivative(inputs[0], output: output)) }
    return try complexSignTangent(t, inputs[0])
  }
  private func complexSignTangent(_ v: Tensor, _ x: Tensor) throws -> Tensor {
    let m = try abs(x)
    let zero = try equal(m, 0)
    let s = try complexSign(x, m)
    let radial = try mul(s, real(mul(conj(s), v)))
    let safe = try `where`(zero, full([], 1, dtype: m.dtype), m)
    return try `where`(zero, full([], 0, dtype: x.dtype), div(sub(v, radial), safe))
  }
}

public struct Log1p: ElementwiseUnary {
  public static let name = "log1p"
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { 1 / (1 + x) }
  public static func apply<T: FloatElement>(_ x: T) -> T { T.log1p(x) }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor { try reciprocal(add(x, 1)) }
}

public struct Expm1: ElementwiseUnary {
  public static let name = "expm1"
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { y + 1 }
  public static var readsOutput: Bool { true }
  public static func apply<T: FloatElement>(_ x: T) -> T { T.expm1(x) }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor { try add(y, 1) }
}

public struct Square: ElementwiseUnary {
  public static let name = "square"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try recurrence(inputs, y, series) { xs, _, k in try squareTerm(xs, k)! }
  }
  public static var isComputeBound: Bool { false }
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { 2 * x }
  public static func apply<T: FloatElement>(_ x: T) -> T { x * x }
  public static func applyInteger(_ x: Int64) -> Int64? { x &* x }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor { try mul(x, 2) }
}

public func neg(_ x: Tensor) throws -> Tensor { try apply(Neg(), [x]) }
public func exp(_ x: Tensor) throws -> Tensor { try apply(Exp(), [x]) }
public func log(_ x: Tensor) throws -> Tensor { try apply(Log(), [x]) }
public func sin(_ x: Tensor) throws -> Tensor { try apply(Sin(), [x]) }
public func cos(_ x: Tensor) throws -> Tensor { try apply(Cos(), [x]) }
public func tan(_ x: Tensor) throws -> Tensor { try apply(Tan(), [x]) }
public func tanh(_ x: Tensor) throws -> Tensor { try apply(Tanh(), [x]) }
public func sigmoid(_ x: Tensor) throws -> Tensor { try apply(Sigmoid(), [x]) }
public func relu(_ x: Tensor) throws -> Tensor { try apply(Relu(), [x]) }
public func sqrt(_ x: Tensor) throws -> Tensor { try apply(Sqrt(), [x]) }
public func abs(_ x: Tensor) throws -> Tensor { try apply(Abs(), [x]) }
public func sign(_ x: Tensor) throws -> Tensor { try apply(Sign(), [x]) }
public func log1p(_ x: Tensor) throws -> Tensor { try apply(Log1p(), [x]) }
public func expm1(_ x: Tensor) throws -> Tensor { try apply(Expm1(), [x]) }
public func square(_ x: Tensor) throws -> Tensor { try apply(Square(), [x]) }
public func reciprocal(_ x: Tensor) throws -> Tensor { try div(1, x) }

/// log(1 + e^x), computed without overflow; its derivative is the sigmoid.
public struct Softplus: ElementwiseUnary {
  public static let name = "softplus"
  public static func apply<T: FloatElement>(_ x: T) -> T { Swift.max(x, 0) + T.log1p(T.exp(-Swift.abs(x))) }
  public static func derivativeValue<T: FloatElement>(_ x: T, _ y: T) -> T? { Sigmoid.apply(x) }
  public func derivative(_ x: Tensor, output y: Tensor) throws -> Tensor { try sigmoid(x) }
}

public func softplus(_ x: Tensor) throws -> Tensor { try apply(Softplus(), [x]) }

// MARK: Operation table (Note [One op table])
extension Operation {
  static let elementwiseUnary: [Operation] = [
    .unary("negative", "Elementwise -x.", neg),
    .unary("exp", "Elementwise e**x.", method: true, exp),
    .unary("log", "Elementwise natural logarithm.", method: true, domain: .positive, log),
    .unary("sin", "Elementwise sine.", sin),
    .unary("cos", "Elementwise cosine.", cos),
    .unary("tan", "Elementwise tangent.", tan),
    .unary("tanh", "Elementwise hyperbolic tangent.", method: true, tanh),
    .unary("sigmoid", "Elementwise logistic sigmoid 1 / (1 + exp(-x)).", method: true, sigmoid),
    .unary("relu", "Elementwise max(x, 0).", method: true, domain: .awayFromZero, relu),
    .unary("sqrt", "Elementwise square root.", method: true, domain: .positive, sqrt),
    .unary("abs", "Elementwise absolute value.", method: true, domain: .awayFromZero, abs),
    .unary("sign", "Elementwise sign (-1, 0, 1); zero gradient.", domain: .awayFromZero, sign),
    .unary("log1p", "Elementwise log(1 + x), accurate near 0.", domain: .positive, log1p),
    .unary("expm1", "Elementwise exp(x) - 1, accurate near 0.", expm1),
    .unary("square", "Elementwise x * x.", square),
    .unary("softplus", "Elementwise log(1 + exp(x)), computed without overflow.", softplus),
  ]
}
