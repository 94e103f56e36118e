/// JAX-style function transforms, built from the two engines: reverse mode
/// (`Backward.gradients`) and forward mode (`ForwardMode` levels). Each is a short composition,
/// as in JAX's `api.py`: grad = vjp with cotangent 1, jacrev = one VJP per output element,
/// jacfwd = one JVP per input element, hessian = jacfwd(jacrev), hvp = jvp of grad.
///
/// Note [Differentiable results]: a reverse transform records its own backward pass
/// (create_graph) only when the result can be differentiated again: when an input is already
/// connected to a graph (an outer `grad`, or a tensor that requires grad), or when the function
/// closes over some other tensor that requires grad. Forward tangents need no recording (see
/// Note [Forward over reverse]), so `hessian` and `hvp` run their inner gradient unrecorded.

/// A traced function ready for reverse passes: its prepared inputs and output.
public struct ReverseTrace {
  public let inputs: [Tensor]
  public let output: Tensor
  /// Whether the backward passes are recorded (Note [Differentiable results]).
  public let createGraph: Bool

  /// Runs `f` on `primals`, each turned into a tensor the reverse sweep can target.
  public init(_ f: ([Tensor]) throws -> Tensor, at primals: [Tensor]) throws {
    let wantsGraph = GradMode.isEnabled
    let prepared = try primals.map(Transforms.reverseInput)
    let out = try GradMode.with(enabled: true) { try f(prepared) }
    inputs = prepared
    output = out
    createGraph = wantsGraph && Transforms.resultNeedsGraph([out], inputs: prepared)
  }

  /// Input cotangents for an output cotangent (nil: ones, for a one-element output). The
  /// graph is kept, so a trace can be pulled back any number of times.
  public func pullback(_ cotangent: Tensor?) throws -> [Tensor] {
    guard output.requiresGrad && output.dtype.isInexact else {
      return try inputs.map { try zeros($0.shape, dtype: $0.dtype) }
    }
    let grads = try Backward.gradients(
      of: [output], withRespectTo: inputs, rootGradients: [cotangent], retainGraph: true,
      createGraph: createGraph, allowUnused: true)
    return try zip(grads, inputs).map { g, x in try g ?? zeros(x.shape, dtype: x.dtype) }
  }
}

public enum Transforms {
  /// `argumentNumbers` checked against `count` primals, negatives counted from the end.
  static func normalize(_ numbers: [Int], count: Int) throws -> [Int] {
    guard !numbers.isEmpty else {
      throw SGError.value("argumentNumbers is empty: differentiate with respect to at least one input")
    }
    let normalized = try numbers.map { n -> Int in
      let i = n < 0 ? n + count : n
      guard i >= 0 && i < count else {
        throw SGError.index("argument number \(n) is out of range for a function of \(count) inputs")
      }
      return i
    }
    guard Set(normalized).count == normalized.count else {
      throw SGError.value("argumentNumbers \(numbers) repeats an input")
    }
    return normalized
  }

  /// `x` as a tensor a reverse sweep can target: connected to `x`'s graph when `x` requires
  /// grad (so outer transforms see through), a fresh leaf otherwise; tangents kept either way.
  public static func reverseInput(_ x: Tensor) throws -> Tensor {
    guard x.dtype.isInexact else {
      throw SGError.type(
        "grad requires floating-point inputs, got \(x.dtype) of shape \(describe(x.shape)); "
          + "cast it (x.astype(float64)) first")
    }
    let z = try x.identityAlias()
    z.tangents = x.tangents
    z.jets = x.jets
    z.requiresGrad = true
    return z
  }

  /// True when gradients of `roots` with respect to `inputs` (made by `reverseInput`) can
  /// depend on something an outer transform differentiates (Note [Differentiable results]).
  public static func resultNeedsGraph(_ roots: [Tensor], inputs: [Tensor]) -> Bool {
    let inputIDs = Set(inputs.map(ObjectIdentifier.init))
    if inputs.contains(where: { !$0.isLeaf }) { return true }
    var visited = Set<ObjectIdentifier>()
    var stack = roots.filter(\.requiresGrad)
    while let t = stack.popLast() {
      guard visited.insert(ObjectIdentifier(t)).inserted, !inputIDs.contains(ObjectIdentifier(t)) else {
        continue
      }
      guard let node = t.gradFn else { return true }  // a leaf someone else differentiates
      stack.append(contentsOf: node.inputs.filter(\.requiresGrad))
    }
    return false
  }

  /// One-hot tensor of `shape` with a 1 at flat position `i`.
  static func basis(_ i: Int, shape: [Int], dtype: DType) throws -> Tensor {
    let e = try zerosKernel(shape, dtype: dtype)
    // A fresh contiguous tensor always has a flat view.
    guard let flat = e.reshapedView([e.count]) else { throw SGError.runtime("basis: no flat view") }
    copyInto(flat.slicedView(axis: 0, start: i, count: 1), from: try full([1], 1, dtype: dtype))
    return e
  }
}

// MARK: Reverse mode

/// `f(x)` and its gradient; `f` must return one floating-point element.
public func valueAndGradient(
  at primals: [Tensor], of f: ([Tensor]) throws -> Tensor
) throws -> (value: Tensor, gradients: [Tensor]) {
  let trace = try ReverseTrace(f, at: primals)
  guard trace.output.count == 1 else {
    throw SGError.type(
      "gradient requires a function with one output element, got shape \(describe(trace.output.shape)); "
        + "use jacrev or vjp for other outputs")
  }
  return (trace.output, try trace.pullback(nil))
}

public func valueAndGradient(of f: @escaping (Tensor) throws -> Tensor) -> (Tensor) throws -> (
  value: Tensor, gradient: Tensor
) {
  { x in
    let (value, grads) = try valueAndGradient(at: [x]) { try f($0[0]) }
    return (value, grads[0])
  }
}

public func gradient(of f: @escaping (Tensor) throws -> Tensor) -> (Tensor) throws -> Tensor {
  { x in try valueAndGradient(of: f)(x).gradient }
}

/// `f(primals)` and its gradients with respect to the primals at `argumentNumbers` (JAX's
/// `argnums`; negative numbers count from the end), the others held constant.
public func valueAndGradient(
  of f: @escaping ([Tensor]) throws -> Tensor, argumentNumbers: [Int]
) -> ([Tensor]) throws -> (value: Tensor, gradients: [Tensor]) {
  { primals in
    let chosen = try Transforms.normalize(argumentNumbers, count: primals.count)
    return try valueAndGradient(at: chosen.map { primals[$0] }) { selected in
      var all = primals
      for (k, i) in chosen.enumerated() { all[i] = selected[k] }
      return try f(all)
    }
  }
}

public func gradient(
  of f: @escaping ([Tensor]) throws -> Tensor, argumentNumbers: [Int]
) -> ([Tensor]) throws -> [Tensor] {
  { primals in try valueAndGradient(of: f, argumentNumbers: argumentNumbers)(primals).gradients }
}

/// JAX's `has_aux`: `f` returns its value and an auxiliary result that is passed through
/// undifferentiated.
public func valueAndGradient<Aux>(
  at primals: [Tensor], of f: ([Tensor]) throws -> (Tensor, Aux)
) throws -> (value: Tensor, aux: Aux, gradients: [Tensor]) {
  var aux: Aux?
  let (value, gradients) = try withoutActuallyEscaping(f) { f in
    try valueAndGradient(at: primals) { inputs in
      let (value, extra) = try f(inputs)
      aux = extra
      return value
    }
  }
  guard let aux else { throw SGError.runtime("valueAndGradient: the function returned no auxiliary value") }
  return (value, aux, gradients)
}

/// `f(primals)` and its pullback: cotangent of the output -> cotangents of every primal.
/// The pullback can be called any number of times.
public func vjp(
  _ f: ([Tensor]) throws -> Tensor, at primals: [Tensor]
) throws -> (value: Tensor, pullback: (Tensor) throws -> [Tensor]) {
  let trace = try ReverseTrace(f, at: primals)
  return (trace.output, { v in
    guard v.shape == trace.output.shape else {
      throw SGError.value(
        "vjp: cotangent shape \(describe(v.shape)) does not match output shape \(describe(trace.output.shape))")
    }
    return try trace.pullback(v)
  })
}

// MARK: Forward mode

/// `f(primals)` and its directional derivative along `tangents` (one per primal).
public func jvp(
  _ f: ([Tensor]) throws -> Tensor, at primals: [Tensor], tangents: [Tensor]
) throws -> (value: Tensor, tangent: Tensor) {
  guard primals.count == tangents.count else {
    throw SGError.value("jvp: \(primals.count) primals but \(tangents.count) tangents")
  }
  let level = ForwardMode.newLevel()
  let duals = try zip(primals, tangents).map { try ForwardMode.makeDual($0, tangent: $1, level: level) }
  let out = try f(duals)
  return (try ForwardMode.strip(out, level: level), try ForwardMode.tangentOrZero(of: out, level: level))
}

/// `f(x)` and a function computing J t for any t, without evaluating `f` again: J t is the
/// gradient, with respect to a dummy cotangent u, of <J^T u, t> (the "double VJP" trick).
public func linearize(
  _ f: @escaping (Tensor) throws -> Tensor, at x: Tensor
) throws -> (value: Tensor, jvp: (Tensor) throws -> Tensor) {
  let trace = try ReverseTrace({ try f($0[0]) }, at: [x])
  let out = trace.output
  guard out.requiresGrad && out.dtype.isInexact else {
    return (out, { _ in try zeros(out.shape, dtype: out.dtype) })
  }
  let u = try zeros(out.shape, dtype: out.dtype)
  u.requiresGrad = true
  let transposed = try GradMode.with(enabled: true) {
    try Backward.gradients(
      of: [out], withRespectTo: trace.inputs, rootGradients: [u], retainGraph: true, createGraph: true,
      allowUnused: true)[0]
  }
  return (out, { t in
    guard t.shape == x.shape else {
      throw SGError.value(
        "linearize: tangent shape \(describe(t.shape)) does not match primal shape \(describe(x.shape))")
    }
    guard let transposed, transposed.requiresGrad else { return try zeros(out.shape, dtype: out.dtype) }
    let inner = try GradMode.with(enabled: true) { try sum(mul(transposed, t)) }
    guard inner.requiresGrad else { return try zeros(out.shape, dtype: out.dtype) }
    let g = try Backward.gradients(
      of: [inner], withRespectTo: [u], retainGraph: true, createGraph: trace.createGraph, allowUnused: true)
    return try g[0] ?? zeros(out.shape, dtype: out.dtype)
  })
}

// MARK: Jacobians and Hessians (shapes follow JAX: out.shape + in.shape)

/// The standard basis of a `shape`-shaped space, stacked: shape [count] + shape.
func stackedBasis(_ shape: [Int], dtype: DType) throws -> Tensor {
  let n = shape.reduce(1, *)
  return try reshape(eye(n, dtype: dtype), [n] + shape)
}

/// Forward-mode Jacobian: one batched JVP over the stacked basis of the input (vmap of jvp).
public func jacfwd(_ f: @escaping (Tensor) throws -> Tensor) -> (Tensor) throws -> Tensor {
  { x in
    guard x.count > 0 else { return try zeros(try f(x).shape + x.shape, dtype: x.dtype) }
    var outShape: [Int] = []
    let columns = try vmap({ t in
      let (value, column) = try jvp({ try f($0[0]) }, at: [x], tangents: [t])
      outShape = value.shape
      return column
    })(stackedBasis(x.shape, dtype: x.dtype))
    return try reshape(moveAxis(columns, from: 0, to: -1), outShape + x.shape)
  }
}

/// Reverse-mode Jacobian: one evaluation of `f`, then one batched VJP over the stacked basis
/// of the output (vmap of the pullback).
public func jacrev(_ f: @escaping (Tensor) throws -> Tensor) -> (Tensor) throws -> Tensor {
  { x in try jacrev(trace: ReverseTrace({ try f($0[0]) }, at: [x])) }
}

func jacrev(trace: ReverseTrace) throws -> Tensor {
  let out = trace.output
  let x = trace.inputs[0]
  guard out.count > 0 else { return try zeros(out.shape + x.shape, dtype: x.dtype) }
  let rows = try vmap({ e in try trace.pullback(e)[0] })(stackedBasis(out.shape, dtype: out.dtype))
  return try reshape(rows, out.shape + x.shape)
}

/// Picks the cheaper mode: forward when the input has fewer elements than the output.
public func jacobian(_ f: @escaping (Tensor) throws -> Tensor) -> (Tensor) throws -> Tensor {
  { x in
    let trace = try ReverseTrace({ try f($0[0]) }, at: [x])
    if x.count < trace.output.count { return try jacfwd(f)(x) }
    return try jacrev(trace: trace)
  }
}

/// Forward over reverse: shape in.shape + in.shape.
public func hessian(of f: @escaping (Tensor) throws -> Tensor) -> (Tensor) throws -> Tensor {
  jacfwd(jacrev(f))
}

/// `f(x)` and H v without forming H: the tangent of the gradient along v.
public func hvp(
  _ f: @escaping (Tensor) throws -> Tensor, at x: Tensor, tangent v: Tensor
) throws -> (value: Tensor, hvp: Tensor) {
  let level = ForwardMode.newLevel()
  let dual = try ForwardMode.makeDual(x, tangent: v, level: level)
  let (value, g) = try valueAndGradient(of: f)(dual)
  return (try ForwardMode.strip(value, level: level), try ForwardMode.tangentOrZero(of: g, level: level))
}

// MARK: Batching

/// JAX's `vmap`: `f` mapped over axis `inAxes[i]` of each input (nil: the input is shared by
/// every example), in one batched pass (Note [Batching levels]). Outputs get their batch axis
/// at `outAxes` (default 0 for each); every input batched must have the same size along its axis.
public func vmap(
  _ f: @escaping ([Tensor]) throws -> [Tensor], inAxes: [Int?], outAxes: [Int?]? = nil,
  randomness: Randomness = .error
) -> ([Tensor]) throws -> [Tensor] {
  { inputs in
    guard inAxes.count == inputs.count else {
      throw SGError.value("vmap: \(inAxes.count) in_axes for \(inputs.count) inputs")
    }
    var size: Int?
    for (x, axis) in zip(inputs, inAxes) {
      guard let axis else { continue }
      let a = try normalizeAxisForVmap(axis, ndim: x.ndim, what: "in_axes")
      if let size, size != x.shape[a] {
        throw SGError.value(
          "vmap: inconsistent sizes for the mapped axis: \(size) and \(x.shape[a]) (shape \(describe(x.shape)))")
      }
      size = x.shape[a]
    }
    guard let size else { throw SGError.value("vmap: at least one input must be mapped (in_axes are all nil)") }
    let level = Batching.newLevel()
    let batched = try zip(inputs, inAxes).map { x, a in
      try a.map { try Batching.makeBatched(x, axis: $0, level: level) } ?? x
    }
    let outs = try Batching.withLevel(level, size: size, randomness: randomness) { try f(batched) }
    let axes = outAxes ?? outs.map { _ in 0 }
    guard axes.count == outs.count else {
      throw SGError.value("vmap: \(axes.count) out_axes for \(outs.count) outputs")
    }
    return try zip(outs, axes).map { try Batching.exit($0, level: level, size: size, outAxis: $1) }
  }
}

/// `vmap` of a function of one tensor.
public func vmap(
  _ f: @escaping (Tensor) throws -> Tensor, inAxis: Int = 0, outAxis: Int = 0
) -> (Tensor) throws -> Tensor {
  { x in try vmap({ [try f($0[0])] }, inAxes: [inAxis], outAxes: [outAxis])([x])[0] }
}
