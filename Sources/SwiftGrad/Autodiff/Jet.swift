/// Taylor mode (`jet`): truncated Taylor series ride along with primals, one series per jet level.
///
/// Note [Jet levels]: a jet level is a forward-mode level (same counter, same nesting rules as
/// Note [Perturbation levels]) whose perturbation is a curve x(t) = x_0 + x_1 t + ... + x_K t^K
/// instead of a line. A tensor stores the Taylor coefficients x_1 ... x_K of each jet level it
/// depends on (`Tensor.jets`), and the coefficients at level L carry older levels only. `apply`
/// pushes level L through a primitive by calling its `taylor` rule on the inputs seen from L
/// (L and newer levels stripped), exactly as forward mode calls `jvp`; the rules are written with
/// public differentiable ops (Note [Rules use differentiable ops]), so `grad` of `jet`, `jet` of
/// `grad`, `vmap` of `jet` and `jet` of `jvp` need nothing more.
///
/// Inside the core the coefficients are Taylor coefficients (x_k = x^(k)(0) / k!): the Cauchy
/// product and the ODE recurrences are simplest there. The public entry points (`jet`, the C
/// ABI) take and return JAX's scaling, the derivative terms x^(k)(0) = k! x_k.
///
/// Note [Taylor rule families]: linear ops apply their JVP to every coefficient
/// (`linearTaylor`); bilinear ops (mul, matmul) take the Cauchy product (`bilinearTaylor`);
/// exp, log, sin, cos, tanh, sqrt, ... state their ODE recurrence (O(K^2) ops); every other
/// primitive derives its rule from its JVP (`taylorFromJVP`): y' = J(x(t)) x'(t), so
/// y_{m+1} = w_m / (m + 1) where w(t) = jvp(x(t), x'(t)) is itself jetted at order K-1 (a rule
/// that reads its output needs y_1..y_m for w_m and runs once per order instead).
struct LevelSeries {
  let level: Int
  /// Taylor coefficients x_1 ... x_K, each of the primal's shape.
  let coefficients: [Tensor]
  /// Note [Collapsed Taylor mode]: the vmap level whose examples are directions, when only the
  /// mean over them of the second coefficient is wanted (nil: an ordinary jet).
  var collapseOver: Int? = nil
}

public enum JetMode {
  /// `primal` carrying Taylor coefficients at `level` (plus what it already carries of older
  /// levels). Integer and bool primals are returned unchanged (their series is zero).
  public static func makeJet(
    _ primal: Tensor, coefficients: [Tensor], level: Int, collapseOver: Int? = nil
  ) throws -> Tensor {
    guard primal.dtype.isInexact, !coefficients.isEmpty else { return primal }
    for (k, c) in coefficients.enumerated() where c.shape != primal.shape {
      throw SGError.value(
        "jet: series term \(k + 1) has shape \(describe(c.shape)), the primal has shape \(describe(primal.shape))")
    }
    let jetted = try primal.identityAlias()
    jetted.tangents = primal.tangents.filter { $0.level < level }
    jetted.jets = primal.jets.filter { $0.level < level }
    let cs = try coefficients.map { try ForwardMode.strip(cast($0, to: primal.dtype), level: level) }
    jetted.jets.append(LevelSeries(level: level, coefficients: cs, collapseOver: collapseOver))
    return jetted
  }

  /// The Taylor coefficients of `x` at `level`, or nil (a constant: every coefficient zero).
  public static func coefficients(of x: Tensor, level: Int) -> [Tensor]? {
    x.jets.first { $0.level == level }?.coefficients
  }

  /// The `k`-th Taylor coefficient (k >= 1) at `level`, zeros when `x` has none.
  public static func coefficient(of x: Tensor, _ k: Int, level: Int) throws -> Tensor {
    guard let cs = coefficients(of: x, level: level), k >= 1, k <= cs.count else {
      return try zeros(x.shape, dtype: x.dtype.isInexact ? x.dtype : .float64)
    }
    return cs[k - 1]
  }

  /// Whether `level` is a jet level of any of `inputs`.
  static func isJetLevel(_ level: Int, _ inputs: [Tensor]) -> Bool {
    inputs.contains { $0.jets.contains { $0.level == level } }
  }

  /// Pushes jet level `level` through `p` (called by `ForwardMode.propagate` in level order).
  static func propagate<P: Primitive>(_ p: P, _ inputs: [Tensor], _ out: Tensor, level: Int) throws {
    let seen = try inputs.map { try ForwardMode.strip($0, level: level) }
    let series = inputs.map { coefficients(of: $0, level: level) }
    let order = series.reduce(0) { Swift.max($0, $1?.count ?? 0) }
    guard order > 0 else { return }
    let output = try ForwardMode.outputSeen(p, from: seen, out, level: level)
    let collapse = inputs.lazy.compactMap { $0.jets.first { $0.level == level }?.collapseOver }.first
    let result: [Tensor]
    if let collapse, order == 2, let e = p as? any ElementwiseUnary, let s = series[0], s.count == 2,
      let (d, c) = try e.secondOrder(seen[0], output: output)
    {
      result = try collapsedElementwise(first: d, half: c, s[0], s[1], over: collapse)
    } else {
      result = try p.taylor(seen, output: output, series: series)
    }
    guard result.count == order else {
      throw SGError.runtime("[jet] \(P.name) returned \(result.count) Taylor coefficients for order \(order)")
    }
    var cs = try result.map { c in
      try ForwardMode.strip(ForwardMode.conform(c, to: out, rule: "[jet] \(P.name)", what: "a coefficient"),
                            level: level)
    }
    if let collapse, cs.count >= 2 { cs[1] = try collapsed(cs[1], over: collapse) }
    out.jets.append(LevelSeries(level: level, coefficients: cs, collapseOver: collapse))
  }

  /// Note [Collapsed Taylor mode] (Dangel et al. 2025): the Laplacian sums the second
  /// coefficients of jets along D directions (vmap level `over`). Every correct Taylor rule gives
  /// y_2 = L(x_2) + Q(x_1, x_1) with L linear, so replacing each direction's x_2 by the mean over
  /// the directions after every op keeps the mean of y_2 exact; the mean is one unbatched tensor,
  /// so the linear part runs once instead of D times. Valid for the second coefficient only.
  static func collapsed(_ x: Tensor, over level: Int) throws -> Tensor {
    let (value, axis) = Batching.unwrap(x, level: level)
    guard let axis else { return x }
    return try mean(value, axes: [axis])
  }

  /// An elementwise op's collapsed jet: y_1 = f' x_1 and y_2 = f' x_2 + (f''/2) x_1^2 for every
  /// direction, so the mean of y_2 is f' mean(x_2) + (f''/2) mean(x_1^2); three ops touch the
  /// batched x_1 (the product, the square, its mean) instead of the recurrence's five.
  static func collapsedElementwise(first d: Tensor, half c: Tensor, _ x1: Tensor, _ x2: Tensor, over level: Int)
    throws -> [Tensor]
  {
    let quadratic = try mul(c, collapsed(square(x1), over: level))
    return [try mul(d, x1), try add(mul(d, collapsed(x2, over: level)), quadratic)]
  }
}

// MARK: Rule helpers (Note [Taylor rule families])

/// The order K of a rule's input series (the longest; nil series are constants).
func jetOrder(_ series: [[Tensor]?]) -> Int { series.reduce(0) { Swift.max($0, $1?.count ?? 0) } }

/// Coefficient `k` of input `i` (0: the primal), nil when it is zero.
func term(_ inputs: [Tensor], _ series: [[Tensor]?], _ i: Int, _ k: Int) -> Tensor? {
  if k == 0 { return inputs[i] }
  guard let s = series[i], k <= s.count else { return nil }
  return s[k - 1]
}

/// A zero coefficient shaped like the output.
func zeroTerm(_ output: Tensor) throws -> Tensor { try zeros(output.shape, dtype: output.dtype) }

/// Linear in its differentiable inputs: the JVP applied to each coefficient.
func linearTaylor<P: Primitive>(_ p: P, _ inputs: [Tensor], output: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
  try (1...Swift.max(1, jetOrder(series))).map { k in
    try p.jvp(inputs, output: output, tangents: series.map { $0.flatMap { k <= $0.count ? $0[k - 1] : nil } })
      ?? zeroTerm(output)
  }
}

/// Bilinear in its two inputs (a * b, a @ b): the Cauchy product y_k = sum_i f(a_i, b_{k-i}).
func bilinearTaylor(
  _ inputs: [Tensor], output: Tensor, series: [[Tensor]?], _ f: (Tensor, Tensor) throws -> Tensor
) throws -> [Tensor] {
  try (1...Swift.max(1, jetOrder(series))).map { k in
    var total: Tensor?
    for i in 0...k {
      guard let a = term(inputs, series, 0, i), let b = term(inputs, series, 1, k - i) else { continue }
      let part = try f(a, b)
      total = try total.map { try add($0, part) } ?? part
    }
    return try total ?? zeroTerm(output)
  }
}

/// sum_{j=1}^{k} (j / k) x_j z_{k-j}: the k-th coefficient of y where y' = z x' (the ODE
/// recurrence of an elementwise y = f(x) with f'(x) = z).
func odeTerm(_ xs: [Tensor], _ zs: [Tensor], _ k: Int) throws -> Tensor {
  var total: Tensor?
  for j in 1...k {
    let product = try mul(xs[j], zs[k - j])
    let part = j == k ? product : try mul(product, Double(j) / Double(k))
    total = try total.map { try add($0, part) } ?? part
  }
  return total!
}

/// scale * sum_{i=lo}^{k-lo} y_i y_{k-i} using its symmetry (half the products of
/// `cauchyTerm`); the factor goes on the primal y_0 when it takes part (the cheapest operand:
/// under vmap it is often the one unbatched tensor).
func squareTerm(_ ys: [Tensor], _ k: Int, from lo: Int = 0, scale: Double = 1) throws -> Tensor? {
  guard lo <= k - lo else { return nil }
  var inner: Tensor?
  var i = Swift.max(lo, 1)
  while 2 * i < k {
    let part = try mul(ys[i], ys[k - i])
    inner = try inner.map { try add($0, part) } ?? part
    i += 1
  }
  var total = try inner.map { try mul($0, 2 * scale) }
  if lo == 0 && k > 0 {
    let part = try mul(mul(ys[0], 2 * scale), ys[k])
    total = try total.map { try add($0, part) } ?? part
  }
  if k % 2 == 0 {
    let sq = try square(ys[k / 2])
    let middle = scale == 1 ? sq : try mul(sq, scale)
    total = try total.map { try add($0, middle) } ?? middle
  }
  return total
}

/// sum_{i=lo}^{k-lo} a_i b_{k-i} over full coefficient lists (index 0: the primal).
func cauchyTerm(_ a: [Tensor], _ b: [Tensor], _ k: Int, from lo: Int = 0) throws -> Tensor? {
  guard lo <= k - lo else { return nil }
  var total: Tensor?
  for i in lo...(k - lo) {
    let part = try mul(a[i], b[k - i])
    total = try total.map { try add($0, part) } ?? part
  }
  return total
}

/// The full coefficient list [x_0, x_1, ..., x_K] of a single-input rule's input.
func fullSeries(_ inputs: [Tensor], _ series: [[Tensor]?]) -> [Tensor] { [inputs[0]] + (series[0] ?? []) }

/// The rule derived from the JVP (Note [Taylor rule families]); `readsOutput` makes it run once
/// per order so that the output's coefficients it reads are known.
func taylorFromJVP<P: Primitive>(
  _ p: P, _ inputs: [Tensor], output y: Tensor, series: [[Tensor]?], readsOutput: Bool
) throws -> [Tensor] {
  let order = jetOrder(series)
  guard order > 0 else { return [] }
  var ys: [Tensor] = []
  // w_0 ... w_m of w(t) = jvp(x(t), x'(t)), x'(t) having coefficients (j + 1) x_{j+1}.
  func ws(_ m: Int) throws -> [Tensor] {
    let level = ForwardMode.newLevel()
    let xs = try zip(inputs, series).map { x, s in
      try s.map { try JetMode.makeJet(x, coefficients: Array($0.prefix(m)), level: level) } ?? x
    }
    let ts = try series.map { s -> Tensor? in
      guard let s else { return nil }
      let cs = try (1..<Swift.min(m + 1, s.count)).map { j in try mul(s[j], Double(j + 1)) }
      return try JetMode.makeJet(s[0], coefficients: cs, level: level)
    }
    let yj = readsOutput ? try JetMode.makeJet(y, coefficients: Array(ys.prefix(m)), level: level) : y
    guard let w = try p.jvp(xs, output: yj, tangents: ts) else {
      return try (0...m).map { _ in try zeroTerm(y) }
    }
    return [try ForwardMode.strip(w, level: level)] + (try (1...Swift.max(1, m)).map {
      try JetMode.coefficient(of: w, $0, level: level)
    }).prefix(m)
  }
  if readsOutput {
    for m in 0..<order { ys.append(try mul(try ws(m)[m], 1 / Double(m + 1))) }
    return ys
  }
  let w = try ws(order - 1)
  return try (0..<order).map { m in m == 0 ? w[0] : try mul(w[m], 1 / Double(m + 1)) }
}

// MARK: Entry point

/// Taylor mode: `f(primals)` and the output's series, for input curves whose derivative terms
/// are `series[i]` (JAX's convention: `series[i][k-1]` is the k-th derivative term
/// x^(k)(0), not divided by k!). Every primal's series has the same length K.
public func jet(
  _ f: ([Tensor]) throws -> Tensor, primals: [Tensor], series: [[Tensor]]
) throws -> (value: Tensor, series: [Tensor]) {
  let level = try Jet.checkedLevel(primals: primals, series: series)
  let jets = try zip(primals, series).map { try Jet.enter($0, terms: $1, level: level) }
  let out = try f(jets)
  let order = series.first?.count ?? 0
  return (try ForwardMode.strip(out, level: level), try (1...Swift.max(1, order)).prefix(order).map {
    try Jet.term(of: out, $0, level: level)
  })
}

/// The pieces of `jet`, for callers that run the function themselves (the C ABI).
public enum Jet {
  /// Checks that every primal has a series of the same length and opens a level.
  public static func checkedLevel(primals: [Tensor], series: [[Tensor]]) throws -> Int {
    guard primals.count == series.count else {
      throw SGError.value("jet: \(primals.count) primals but \(series.count) series")
    }
    if let k = series.first?.count, let bad = series.firstIndex(where: { $0.count != k }) {
      throw SGError.value(
        "jet: series \(bad) has \(series[bad].count) terms, series 0 has \(k); all need the same order")
    }
    return ForwardMode.newLevel()
  }

  /// `primal` carrying the curve whose derivative terms are `terms` (JAX's scaling).
  /// `collapse`: Note [Collapsed Taylor mode], the first term batched by the vmap of the directions.
  public static func enter(_ primal: Tensor, terms: [Tensor], level: Int, collapse: Bool = false) throws -> Tensor {
    guard primal.dtype.isInexact else {
      throw SGError.type("jet: primals must be floating-point, got \(primal.dtype) of shape \(describe(primal.shape))")
    }
    var factorial = 1.0
    let cs = try terms.enumerated().map { k, t -> Tensor in
      factorial *= Double(k + 1)
      guard t.dtype != .bool else { throw SGError.type("jet: series terms must be numeric, got bool") }
      let typed = try cast(t, to: primal.dtype)
      return k == 0 ? typed : try mul(typed, 1 / factorial)  // the first term is its coefficient
    }
    var over: Int?
    if collapse {
      guard terms.count == 2, let b = terms[0].batch else {
        throw SGError.value("jet: a collapsed jet has order 2 and its first term batched by vmap (the directions)")
      }
      over = b.level
    }
    return try JetMode.makeJet(primal, coefficients: cs, level: level, collapseOver: over)
  }

  /// The k-th derivative term (JAX's scaling, k >= 1) of `x` at `level`: k! times its Taylor coefficient.
  public static func term(of x: Tensor, _ k: Int, level: Int) throws -> Tensor {
    guard k >= 1 else { throw SGError.value("jet: term index must be at least 1, got \(k)") }
    let factorial = (1...k).reduce(1.0) { $0 * Double($1) }
    let c = try JetMode.coefficient(of: x, k, level: level)
    return try ForwardMode.strip(k == 1 ? c : mul(c, factorial), level: level)
  }
}

/// A single-input rule stated as a recurrence: `step(xs, ys, k)` gives y_k from the input's
/// coefficients x_0..x_K and the output's y_0..y_{k-1}.
func recurrence(
  _ inputs: [Tensor], _ output: Tensor, _ series: [[Tensor]?],
  _ step: (_ xs: [Tensor], _ ys: [Tensor], _ k: Int) throws -> Tensor
) throws -> [Tensor] {
  let xs = fullSeries(inputs, series)
  var ys = [output]
  for k in stride(from: 1, to: xs.count, by: 1) { ys.append(try step(xs, ys, k)) }
  return Array(ys.dropFirst())
}

extension Tensor {
  /// No forward-mode tangent and no jet series: kernel fast paths may skip the recorded ops.
  var isUnperturbed: Bool { tangents.isEmpty && jets.isEmpty }
}
