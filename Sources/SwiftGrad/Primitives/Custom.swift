/// A primitive whose rules are supplied at run time (from Swift closures, or from Python through
/// the C ABI): `custom_vjp`, `custom_jvp`, `Function`, checkpointing.
///
/// Note [Rules by transposition]: given only a VJP that is linear in the cotangent, the JVP is
/// J t = d/du <vjp(u), t> (reverse mode over a dummy cotangent u); given only a JVP linear in
/// the tangents, the VJP is Jᵀ g = d/dt <g, jvp(t)>. Either way the result is built from
/// differentiable ops, so custom rules compose with every transform and with higher order as
/// long as the user's rule is itself written with swiftgrad ops.
public struct CustomFunction: Primitive, OpaqueToGraph {
  public static let name = "custom"
  public typealias VJPRule = (_ cotangent: Tensor) throws -> [Tensor?]
  public typealias JVPRule = (_ primals: [Tensor], _ tangents: [Tensor?]) throws -> Tensor?

  /// Shown by error messages and graph pictures (the node's name is "custom").
  public let label: String
  let output: Tensor
  let vjpRule: VJPRule?
  let jvpRule: JVPRule?
  /// The Taylor coefficients of the output from the primals and their coefficients (Note [Jet levels]).
  public typealias TaylorRule = (_ primals: [Tensor], _ series: [[Tensor]?]) throws -> [Tensor]
  var taylorRule: TaylorRule? = nil

  /// A Taylor rule stated in JAX's scaling (Note [Jet levels]): `rule` gets each input's
  /// derivative terms x^(k)(0) (nil: a constant input) and returns the output's; the rescaling
  /// to and from Taylor coefficients (a factor k!) is done here, with differentiable ops.
  public static func taylorRule(
    derivativeTerms rule: @escaping (_ primals: [Tensor], _ terms: [[Tensor]?]) throws -> [Tensor]
  ) -> TaylorRule {
    { primals, series in
      func factorial(_ k: Int) -> Double { (1...Swift.max(1, k)).reduce(1.0) { $0 * Double($1) } }
      let terms = try series.map { s in try s?.enumerated().map { k, c in try mul(c, factorial(k + 1)) } }
      return try rule(primals, terms).enumerated().map { k, t in try mul(t, 1 / factorial(k + 1)) }
    }
  }

  public func forward(_ inputs: [Tensor]) throws -> Tensor { output.alias() }

  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor) throws -> [Tensor?] {
    if let vjpRule {
      let grads = try vjpRule(cotangent)
      guard grads.count == inputs.count else {
        throw SGError.runtime(
          "custom function '\(label)': the backward rule returned \(grads.count) gradients for \(inputs.count) inputs")
      }
      return grads
    }
    guard let jvpRule else { throw missingRule("vjp", label) }
    // Jᵀ g = d/dt <g, J t>, with t a fresh leaf per differentiable input.
    let probes = try inputs.map { x -> Tensor? in
      guard x.requiresGrad else { return nil }
      let t = try zeros(x.shape, dtype: x.dtype)
      try t.setRequiresGrad(true)
      return t
    }
    let live = probes.compactMap { $0 }
    guard !live.isEmpty else { return inputs.map { _ in nil } }
    let recordOuter = GradMode.isEnabled
    return try GradMode.with(enabled: true) {
      guard let jt = try jvpRule(inputs, probes), jt.requiresGrad else { return inputs.map { _ in nil } }
      let pairing = try sum(mul(cotangent, jt))
      let grads = try Backward.gradients(
        of: [pairing], withRespectTo: live, createGraph: recordOuter, allowUnused: true)
      var next = grads.makeIterator()
      return probes.map { $0 == nil ? nil : next.next() ?? nil }
    }
  }

  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    if let jvpRule { return try jvpRule(inputs, tangents) }
    guard let vjpRule else { throw missingRule("jvp", label) }
    // J t = d/du <vjp(u), t>, with u a fresh leaf shaped like the output.
    let u = try zeros(output.shape, dtype: output.dtype)
    try u.setRequiresGrad(true)
    let recordOuter = GradMode.isEnabled
    return try GradMode.with(enabled: true) {
      var pairing: Tensor?
      for (g, t) in zip(try vjpRule(u), tangents) {
        guard let g, let t else { continue }
        let term = try sum(mul(g, t))
        pairing = try pairing.map { try add($0, term) } ?? term
      }
      guard let pairing, pairing.requiresGrad else { return nil }
      return try Backward.gradients(of: [pairing], withRespectTo: [u], createGraph: recordOuter, allowUnused: true)[0]
    }
  }

  /// The user's Taylor rule, or order 1 from the JVP rule (the first coefficient is the JVP of
  /// the first coefficients); higher orders need a Taylor rule.
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    let order = jetOrder(series)
    if let taylorRule {
      let terms = try taylorRule(inputs, series)
      guard terms.count == order else {
        throw SGError.value(
          "custom function '\(label)': the Taylor rule returned \(terms.count) terms for a jet of order \(order)")
      }
      for (k, c) in terms.enumerated() where c.shape != y.shape {
        throw SGError.value(
          "custom function '\(label)': the Taylor rule's term \(k + 1) has shape \(describe(c.shape)), "
            + "the output has shape \(describe(y.shape))")
      }
      return terms
    }
    guard order <= 1 else {
      throw SGError.runtime(
        "[jet] custom function '\(label)' has no Taylor rule: its JVP rule gives order 1 only, the jet asks for "
          + "order \(order); give it a Taylor rule (custom_jvp's deftaylor)")
    }
    return [try jvp(inputs, output: y, tangents: series.map { $0?.first }) ?? zeroTerm(y)]
  }

  /// The user's function already ran on the batched values (its output is batched); the
  /// rules run on batched values too: the physical node wraps its cotangents and tangents as
  /// batched tensors of this level and calls the user's rules on them.
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    guard let level = Batching.ruleLevel else { throw missingRule("vmap", label) }
    let size = Batching.size(inputs, axes)
    let (seen, seenAxis) = Batching.unwrap(output, level: level)
    let value = try Batching.materialized(seen, seenAxis, size: size)
    func logical(_ x: Tensor, _ axis: Int?) throws -> Tensor {
      try axis.map { try Batching.makeBatched(x, axis: $0, level: level) } ?? x
    }
    let vjp: VJPRule? = vjpRule.map { rule in
      { g in
        let grads = try rule(Batching.makeBatched(g, axis: 0, level: level))
        return try zip(grads, zip(inputs, axes)).map { grad, input in
          try grad.map { try Batching.physicalCotangent($0, level: level, for: input.0, axis: input.1) }
        }
      }
    }
    let jvp: JVPRule? = jvpRule.map { rule in
      { primals, tangents in
        let seenPrimals = try zip(primals, axes).map { try logical($0, $1) }
        let seenTangents = try zip(tangents, axes).map { t, a in try t.map { try logical($0, a) } }
        return try rule(seenPrimals, seenTangents).map { try Batching.exit($0, level: level, size: size, outAxis: 0) }
      }
    }
    let taylor: TaylorRule? = taylorRule.map { rule in
      { primals, series in
        let seenPrimals = try zip(primals, axes).map { try logical($0, $1) }
        let seenSeries = try zip(series, axes).map { s, a in try s.map { try $0.map { try logical($0, a) } } }
        return try rule(seenPrimals, seenSeries).map { try Batching.exit($0, level: level, size: size, outAxis: 0) }
      }
    }
    let physical = CustomFunction(
      label: label, output: value.detach(), vjpRule: vjp, jvpRule: jvp, taylorRule: taylor)
    return (try SwiftGrad.apply(physical, inputs), 0)
  }
}

/// Records `output` (already computed, e.g. by a user's forward function) as the result of a
/// custom function of `inputs` with the given rules; returns the tensor that carries it.
public func customFunction(
  _ label: String, inputs: [Tensor], output: Tensor, vjp: CustomFunction.VJPRule?, jvp: CustomFunction.JVPRule?,
  taylor: CustomFunction.TaylorRule? = nil
) throws -> Tensor {
  guard vjp != nil || jvp != nil else {
    throw SGError.value("custom function '\(label)': give a vjp rule, a jvp rule, or both")
  }
  let p = CustomFunction(label: label, output: output.detach(), vjpRule: vjp, jvpRule: jvp, taylorRule: taylor)
  return try apply(p, inputs)
}
