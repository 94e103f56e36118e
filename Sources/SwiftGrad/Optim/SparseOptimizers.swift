#if canImport(Glibc)
  import Glibc
#endif

/// Updates that consume row-sparse gradients (Note [Row-sparse gradients]) and Adagrad. Like
/// the dense ones in Optimizers.swift they follow PyTorch's formulas term by term and record
/// nothing. A sparse step touches only the gradient's rows of the parameter and of dense state.
extension Optimizers {
  public struct AdagradOptions {
    public var learningRate: Double
    public var learningRateDecay = 0.0
    public var weightDecay = 0.0
    public var eps = 1e-10
    public var maximize = false
    public init(learningRate: Double) { self.learningRate = learningRate }
  }

  /// SGD for a row-sparse gradient. Momentum follows PyTorch: the buffer is itself row-sparse
  /// (first step: the gradient; then momentum * buffer + (1 - dampening) * gradient, so it covers
  /// every row touched so far) and the returned tensor is the new buffer. Weight decay (which
  /// makes the gradient dense) or a dense buffer (e.g. loaded from a dense run) take the dense
  /// update instead.
  public static func sgdRowSparseStep(
    parameter p: Tensor, gradient g: Tensor, momentumBuffer: Tensor?, options o: SGDOptions
  ) throws -> Tensor? {
    guard g.isSparse else {
      throw SGError.value("SGD: sgdRowSparseStep expects a row-sparse gradient")
    }
    try checkParameterAndGradient("SGD", p, g)
    if o.weightDecay != 0 || (momentumBuffer.map { !$0.isSparse } ?? false) {
      var buffer = momentumBuffer
      let firstStep = o.momentum != 0 && buffer == nil
      if firstStep { buffer = try zeros(p.shape, dtype: p.dtype) }
      try sgdStep(
        parameter: p, gradient: g.denseFace(), momentumBuffer: o.momentum != 0 ? buffer : nil,
        firstStep: firstStep, options: o)
      return o.momentum != 0 ? buffer : nil
    }
    try check(o.learningRate >= 0, "SGD: invalid learning rate \(o.learningRate)")
    try check(o.momentum >= 0, "SGD: invalid momentum value \(o.momentum)")
    try check(
      !o.nesterov || (o.momentum > 0 && o.dampening == 0),
      "SGD: Nesterov momentum requires a momentum and zero dampening")
    return try withoutGrad {
      let d = try scaled(g, o.maximize ? -1 : 1)
      var direction = d
      var buffer: Tensor?
      if o.momentum != 0 {
        if let old = momentumBuffer {
          buffer = try addGradients(scaled(old, o.momentum), scaled(d, 1 - o.dampening)).coalesced()
        } else {
          buffer = try ownedGradient(d.coalesced())
        }
        direction = o.nesterov ? try addGradients(d, scaled(buffer!, o.momentum)) : buffer!
      }
      try addRows(into: p, direction, scale: -o.learningRate)
      return buffer
    }
  }

  /// One Adagrad step (`step` counts from 1): sum += g^2, p -= clr * g / (sqrt(sum) + eps) with
  /// clr = lr / (1 + (step - 1) lr_decay). A row-sparse gradient updates its rows only and
  /// refuses weight decay, as in PyTorch.
  public static func adagradStep(
    parameter p: Tensor, gradient g: Tensor, stateSum: Tensor, step: Int, options o: AdagradOptions
  ) throws {
    try check(o.learningRate >= 0, "Adagrad: invalid learning rate \(o.learningRate)")
    try check(o.learningRateDecay >= 0, "Adagrad: invalid lr_decay value \(o.learningRateDecay)")
    try check(o.weightDecay >= 0, "Adagrad: invalid weight_decay value \(o.weightDecay)")
    try check(o.eps >= 0, "Adagrad: invalid epsilon value \(o.eps)")
    try check(step >= 1, "Adagrad: step must be at least 1, got \(step)")
    try checkState("Adagrad", p, ["sum": stateSum])
    let clr = o.learningRate / (1 + Double(step - 1) * o.learningRateDecay)
    if g.isSparse {
      try check(o.weightDecay == 0, "Adagrad: weight_decay option is not compatible with sparse gradients")
      try checkParameterAndGradient("Adagrad", p, g)
      let rows = try withoutGrad { try scaled(g, o.maximize ? -1 : 1).coalesced() }.sparseRows!
      try forEachRow(p, rows, states: [stateSum]) { (param: inout Double, grad: Double, state: inout [Double]) in
        state[0] += grad * grad
        param -= clr * grad / (state[0].squareRoot() + o.eps)
      }
      return
    }
    try check(g.shape == p.shape && g.dtype == p.dtype,
      "Adagrad: gradient of shape \(describe(g.shape)) and dtype \(g.dtype) for a parameter of shape "
        + "\(describe(p.shape)) and dtype \(p.dtype)")
    let grad = try g.storage === p.storage || g.storage === stateSum.storage ? g.cloned() : g.densified()
    try DirectWrite.updateDense(p) { dense in
      func run<T: FloatElement>(_: T.Type) {
        let (w, d, s) = (dense.pointer(T.self), grad.pointer(T.self), stateSum.pointer(T.self))
        let (decay, eps, rate) = (T(o.weightDecay), T(o.eps), T(clr))
        for i in 0..<dense.count {
          var x = o.maximize ? -d[i] : d[i]
          if o.weightDecay != 0 { x = x + decay * w[i] }
          s[i] = s[i] + x * x
          w[i] = w[i] + -rate * (x / (s[i].squareRoot() + eps))
        }
      }
      if p.dtype == .float32 { run(Float.self) } else { run(Double.self) }
    }
    stateSum.storage.version += 1
  }

  /// One SparseAdam step (`step` counts from 1): Adam's moments and update on the gradient's
  /// rows only; the other rows of the moments are left as they are (PyTorch's SparseAdam).
  public static func sparseAdamStep(
    parameter p: Tensor, gradient g: Tensor, expAvg: Tensor, expAvgSq: Tensor, step: Int,
    learningRate lr: Double, beta1: Double, beta2: Double, eps: Double, maximize: Bool
  ) throws {
    guard g.isSparse else {
      throw SGError.runtime(
        "SparseAdam does not support dense gradients (shape \(describe(g.shape))), please consider Adam instead")
    }
    try check(lr >= 0, "SparseAdam: invalid learning rate \(lr)")
    try check(eps >= 0, "SparseAdam: invalid epsilon value \(eps)")
    try check((0..<1).contains(beta1), "SparseAdam: invalid beta parameter at index 0: \(beta1)")
    try check((0..<1).contains(beta2), "SparseAdam: invalid beta parameter at index 1: \(beta2)")
    try check(step >= 1, "SparseAdam: step must be at least 1, got \(step)")
    try checkParameterAndGradient("SparseAdam", p, g)
    try checkState("SparseAdam", p, ["exp_avg": expAvg, "exp_avg_sq": expAvgSq])
    let rows = try withoutGrad { try scaled(g, maximize ? -1 : 1).coalesced() }.sparseRows!
    let stepSize = lr * (1 - Glibc.pow(beta2, Double(step))).squareRoot() / (1 - Glibc.pow(beta1, Double(step)))
    try forEachRow(p, rows, states: [expAvg, expAvgSq]) { (param: inout Double, grad: Double, m: inout [Double]) in
      m[0] += (grad - m[0]) * (1 - beta1)
      m[1] += (grad * grad - m[1]) * (1 - beta2)
      param -= stepSize * m[0] / (m[1].squareRoot() + eps)
    }
  }

  // MARK: Helpers

  private static func checkState(_ who: String, _ p: Tensor, _ state: [String: Tensor]) throws {
    for (name, buffer) in state.sorted(by: { $0.key < $1.key }) {
      guard buffer.shape == p.shape, buffer.dtype == p.dtype, buffer.isContiguous, !buffer.isSparse,
        buffer.storage !== p.storage
      else {
        throw SGError.value(
          "\(who): state \(name) of shape \(describe(buffer.shape)) and dtype \(buffer.dtype) must be a "
            + "contiguous tensor with its own memory shaped like the parameter (\(describe(p.shape)), \(p.dtype))")
      }
      try DirectWrite.checkWritable(buffer, who)
    }
  }

  /// `t` times `factor`, row-sparse when `t` is (values scaled, indices shared).
  private static func scaled(_ t: Tensor, _ factor: Double) throws -> Tensor {
    guard let rows = t.sparseRows else { return try mul(t, factor) }
    if factor == 1 { return t }
    return try SparseRows(
      indices: rows.indices, values: mul(rows.values, factor).densified(), rowCount: rows.rowCount,
      isCoalesced: rows.isCoalesced
    ).wrapped()
  }

  /// p[rows] += scale * values (duplicate rows add up).
  private static func addRows(into p: Tensor, _ update: Tensor, scale: Double) throws {
    guard let rows = update.sparseRows else { return }
    try DirectWrite.updateDense(p) { dense in
      let width = dense.count / Swift.max(rows.rowCount, 1)
      let idx = rows.indices.pointer(Int64.self)
      func run<T: FloatElement>(_: T.Type) {
        let (w, v, s) = (dense.pointer(T.self), rows.values.pointer(T.self), T(scale))
        for r in 0..<rows.indices.count {
          let (dst, src) = (w + Int(idx[r]) * width, v + r * width)
          for j in 0..<width { dst[j] = dst[j] + s * src[j] }
        }
      }
      if p.dtype == .float32 { run(Float.self) } else { run(Double.self) }
    }
  }

  /// Runs `body` on every element of the (coalesced) rows: the parameter element, the gradient
  /// element and the matching elements of the state buffers, computed in double precision and
  /// stored back in the parameter's dtype.
  private static func forEachRow(
    _ p: Tensor, _ rows: SparseRows, states: [Tensor],
    _ body: (inout Double, Double, inout [Double]) -> Void
  ) throws {
    try DirectWrite.updateDense(p) { dense in
      let width = dense.count / Swift.max(rows.rowCount, 1)
      let idx = rows.indices.pointer(Int64.self)
      func run<T: FloatElement>(_: T.Type) {
        let (w, v) = (dense.pointer(T.self), rows.values.pointer(T.self))
        let buffers = states.map { $0.pointer(T.self) }
        var state = [Double](repeating: 0, count: buffers.count)
        for r in 0..<rows.indices.count {
          let base = Int(idx[r]) * width
          for j in 0..<width {
            for (k, b) in buffers.enumerated() { state[k] = Double(b[base + j]) }
            var param = Double(w[base + j])
            body(&param, Double(v[r * width + j]), &state)
            w[base + j] = T(param)
            for (k, b) in buffers.enumerated() { b[base + j] = T(state[k]) }
          }
        }
      }
      if p.dtype == .float32 { run(Float.self) } else { run(Double.self) }
    }
    for s in states { s.storage.version += 1 }
  }
}
