import CBLAS

#if canImport(Glibc)
  import Glibc
#endif

/// Optimizer update rules, applied in place to parameter storage and to the optimizer's state
/// buffers. They follow PyTorch's formulas term by term (same order of floating-point
/// operations), so results agree with `torch.optim` to rounding. No graph node is recorded:
/// an optimizer step is not part of the differentiated program.
public enum Optimizers {
  public struct SGDOptions {
    public var learningRate: Double
    public var momentum = 0.0
    public var dampening = 0.0
    public var weightDecay = 0.0
    public var nesterov = false
    public var maximize = false
    public init(learningRate: Double) { self.learningRate = learningRate }
  }

  public struct AdamOptions {
    public var learningRate: Double
    public var beta1 = 0.9
    public var beta2 = 0.999
    public var eps = 1e-8
    public var weightDecay = 0.0
    /// AdamW: shrink the parameter by `lr * weightDecay` instead of adding `weightDecay * p`
    /// to the gradient.
    public var decoupledWeightDecay = false
    public var maximize = false
    public init(learningRate: Double) { self.learningRate = learningRate }
  }

  /// One SGD step for one parameter. `momentumBuffer` is nil without momentum; when
  /// `firstStep` is true it is initialised to the (decayed) gradient, as PyTorch does.
  public static func sgdStep(
    parameter p: Tensor, gradient g: Tensor, momentumBuffer: Tensor?, firstStep: Bool,
    options o: SGDOptions
  ) throws {
    try check(o.learningRate >= 0, "SGD: invalid learning rate \(o.learningRate)")
    try check(o.momentum >= 0, "SGD: invalid momentum value \(o.momentum)")
    try check(o.weightDecay >= 0, "SGD: invalid weight_decay value \(o.weightDecay)")
    try check(
      !o.nesterov || (o.momentum > 0 && o.dampening == 0),
      "SGD: Nesterov momentum requires a momentum and zero dampening")
    try check(
      o.momentum == 0 || momentumBuffer != nil, "SGD: momentum \(o.momentum) needs a momentum buffer")
    let grad = try checkOperands("SGD", p, g, ["momentum_buffer": momentumBuffer])
    try DirectWrite.updateDense(p) { dense in
      switch p.dtype {
      case .float32: sgd(Float.self, dense, grad, momentumBuffer, firstStep, o)
      default: sgd(Double.self, dense, grad, momentumBuffer, firstStep, o)
      }
    }
    momentumBuffer?.storage.version += 1
  }

  /// One Adam (or AdamW) step for one parameter; `step` counts from 1. `maxExpAvgSq` is given
  /// for AMSGrad and nil otherwise.
  public static func adamStep(
    parameter p: Tensor, gradient g: Tensor, expAvg: Tensor, expAvgSq: Tensor, maxExpAvgSq: Tensor?,
    step: Int, options o: AdamOptions
  ) throws {
    try check(o.learningRate >= 0, "Adam: invalid learning rate \(o.learningRate)")
    try check(o.eps >= 0, "Adam: invalid epsilon value \(o.eps)")
    try check((0..<1).contains(o.beta1), "Adam: invalid beta parameter at index 0: \(o.beta1)")
    try check((0..<1).contains(o.beta2), "Adam: invalid beta parameter at index 1: \(o.beta2)")
    try check(o.weightDecay >= 0, "Adam: invalid weight_decay value \(o.weightDecay)")
    try check(step >= 1, "Adam: step must be at least 1, got \(step)")
    let grad = try checkOperands(
      "Adam", p, g, ["exp_avg": expAvg, "exp_avg_sq": expAvgSq, "max_exp_avg_sq": maxExpAvgSq])
    try DirectWrite.updateDense(p) { dense in
      switch p.dtype {
      case .float32: adam(Float.self, dense, grad, expAvg, expAvgSq, maxExpAvgSq, step, o)
      default: adam(Double.self, dense, grad, expAvg, expAvgSq, maxExpAvgSq, step, o)
      }
    }
    for t in [expAvg, expAvgSq, maxExpAvgSq] { t?.storage.version += 1 }
  }

  static func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw SGError.value(message()) }
  }

  /// A writable floating-point parameter and a gradient of its shape and dtype (dense or row-sparse).
  static func checkParameterAndGradient(_ who: String, _ p: Tensor, _ g: Tensor) throws {
    guard p.dtype.isFloatingPoint else {
      throw SGError.type("\(who): parameters must be floating point, got \(p.dtype)")
    }
    guard !p.dtype.isLowPrecision else {
      throw SGError.type(
        "\(who): \(p.dtype) parameters are not updated in place; keep float32 master weights and run the "
          + "forward under sg.autocast (docs/MIXED_PRECISION.md)")
    }
    try DirectWrite.checkWritable(p, who)
    guard g.shape == p.shape else {
      throw SGError.value(
        "\(who): gradient of shape \(describe(g.shape)) for a parameter of shape \(describe(p.shape))")
    }
    guard g.dtype == p.dtype else {
      throw SGError.type("\(who): gradient dtype \(g.dtype) does not match parameter dtype \(p.dtype)")
    }
  }

  /// Checks that the gradient and state buffers match the parameter; returns the gradient as a
  /// contiguous tensor that does not alias any buffer being written.
  private static func checkOperands(_ who: String, _ p: Tensor, _ g: Tensor, _ state: [String: Tensor?])
    throws -> Tensor
  {
    try checkParameterAndGradient(who, p, g)
    var written = [p.storage]
    for (name, buffer) in state.sorted(by: { $0.key < $1.key }) {
      guard let buffer else { continue }
      guard buffer.shape == p.shape, buffer.dtype == p.dtype else {
        throw SGError.value(
          "\(who): state \(name) has shape \(describe(buffer.shape)) and dtype \(buffer.dtype); "
            + "the parameter has shape \(describe(p.shape)) and dtype \(p.dtype)")
      }
      guard buffer.isContiguous, !written.contains(where: { $0 === buffer.storage }) else {
        throw SGError.value("\(who): state \(name) must be a contiguous tensor with its own memory")
      }
      try DirectWrite.checkWritable(buffer, who)
      written.append(buffer.storage)
    }
    return written.contains(where: { $0 === g.storage }) ? try g.cloned() : try g.densified()
  }

  private static func sgd<T: FloatElement>(
    _: T.Type, _ param: Tensor, _ grad: Tensor, _ buffer: Tensor?, _ firstStep: Bool, _ o: SGDOptions
  ) {
    let p = param.pointer(T.self)
    let g = grad.pointer(T.self)
    let b = buffer?.pointer(T.self)
    let lr = T(o.learningRate)
    let momentum = T(o.momentum)
    let keep = T(1 - o.dampening)
    let decay = T(o.weightDecay)
    // Plain SGD (the common case) in loops without branches, which vectorise; the sign flip is
    // exact, so each loop computes what the general one below does.
    if b == nil || o.momentum == 0 {
      let sign: T = o.maximize ? -1 : 1
      if o.weightDecay == 0 {
        let scale = -lr * sign
        for i in 0..<param.count { p[i] = p[i] + scale * g[i] }
      } else {
        for i in 0..<param.count { p[i] = p[i] + -lr * (sign * g[i] + decay * p[i]) }
      }
      return
    }
    for i in 0..<param.count {
      var d = o.maximize ? -g[i] : g[i]
      if o.weightDecay != 0 { d = d + decay * p[i] }
      if let b, o.momentum != 0 {
        b[i] = firstStep ? d : momentum * b[i] + keep * d
        d = o.nesterov ? d + momentum * b[i] : b[i]
      }
      p[i] = p[i] + -lr * d
    }
  }

  private static func adam<T: FloatElement>(
    _: T.Type, _ param: Tensor, _ grad: Tensor, _ expAvg: Tensor, _ expAvgSq: Tensor,
    _ maxExpAvgSq: Tensor?, _ step: Int, _ o: AdamOptions
  ) {
    let p = param.pointer(T.self)
    let g = grad.pointer(T.self)
    let m = expAvg.pointer(T.self)
    let v = expAvgSq.pointer(T.self)
    let vMax = maxExpAvgSq?.pointer(T.self)
    // Scalars in double precision, as PyTorch computes them in Python floats.
    let correction1 = 1 - Glibc.pow(o.beta1, Double(step))
    let correction2Root = (1 - Glibc.pow(o.beta2, Double(step))).squareRoot()
    let stepSize = T(o.learningRate / correction1)
    let shrink = T(1 - o.learningRate * o.weightDecay)
    let (w1, beta2, w2) = (T(1 - o.beta1), T(o.beta2), T(1 - o.beta2))
    let (decay, eps, root2) = (T(o.weightDecay), T(o.eps), T(correction2Root))
    // Adam and AdamW without AMSGrad: one loop in C that vectorises (Note [Optimizer loops in
    // C]). A zero weight decay shrinks by exactly 1 and the sign flip is exact, so it computes
    // what the general loop below does.
    if vMax == nil && (o.weightDecay == 0 || o.decoupledWeightDecay) {
      let sign: T = o.maximize ? -1 : 1
      let factor: T = o.weightDecay == 0 ? 1 : shrink
      adamLoop(param.count, p, g, m, v, [sign, factor, w1, beta2, w2, root2, eps, stepSize])
      return
    }
    for i in 0..<param.count {
      var d = o.maximize ? -g[i] : g[i]
      if o.weightDecay != 0 {
        if o.decoupledWeightDecay { p[i] = p[i] * shrink } else { d = d + decay * p[i] }
      }
      m[i] = m[i] + w1 * (d - m[i])
      v[i] = v[i] * beta2 + w2 * (d * d)
      var second = v[i]
      if let vMax {
        vMax[i] = Swift.max(vMax[i], v[i])
        second = vMax[i]
      }
      let denom = second.squareRoot() / root2 + eps
      p[i] = p[i] + -stepSize * (m[i] / denom)
    }
  }

  /// sg_optim.c's Adam loop for `T` (float32 or float64); `k` holds sign, factor, w1, beta2, w2,
  /// root2, eps and the step size.
  private static func adamLoop<T: FloatElement>(
    _ n: Int, _ p: UnsafeMutablePointer<T>, _ g: UnsafeMutablePointer<T>, _ m: UnsafeMutablePointer<T>,
    _ v: UnsafeMutablePointer<T>, _ k: [T]
  ) {
    func raw<U>(_ x: UnsafeMutablePointer<T>, _: U.Type) -> UnsafeMutablePointer<U> {
      UnsafeMutableRawPointer(x).assumingMemoryBound(to: U.self)
    }
    if T.self == Float.self {
      let c = k.map { Float($0) }
      sg_adam_step_f32(n, raw(p, Float.self), raw(g, Float.self), raw(m, Float.self), raw(v, Float.self),
        c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7])
    } else {
      let c = k.map { Double($0) }
      sg_adam_step_f64(n, raw(p, Double.self), raw(g, Double.self), raw(m, Double.self), raw(v, Double.self),
        c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7])
    }
  }
}
