import CBLAS

/// Matrix decompositions through LAPACK (eigh, svd, qr) and slogdet, batched over leading axes.
///
/// Note [Factor primitives]: a decomposition with several outputs is one primitive per factor
/// (`part`), each running the LAPACK routine (deterministic, so the factors agree). Each states
/// the VJP of its own factor (cotangents of different factors add up, so the rules are
/// independent) with differentiable operations on the factors, and gets its JVP by
/// transposition of that VJP (J t = d/du <J^T u, t>), so every order works.
///
/// Degenerate spectra: the rules contain 1/(w_j - w_i) (eigh) and 1/(s_j^2 - s_i^2) (svd). For
/// (numerically) equal values those entries are set to 0, the gradient of a loss that does not
/// depend on the choice of basis inside the degenerate subspace (docs/LINALG.md).

enum FactorPart: Int, Sendable { case first, second, third }

/// Per-matrix LAPACK work on a dense float64 copy of a batch of m x n matrices; `body` fills
/// the outputs of one matrix given pointers to each output's slice.
private func batched(
  _ x: Tensor, _ op: String, outputs: [[Int]], square: Bool = false,
  _ body: (UnsafeMutablePointer<Double>, Int, Int, [UnsafeMutablePointer<Double>], Int) throws -> Void
) throws -> [Tensor] {
  guard x.ndim >= 2 else {
    throw SGError.value("\(op): expected a matrix (or a batch of them), got shape \(describe(x.shape))")
  }
  let (m, n) = (x.shape[x.ndim - 2], x.shape[x.ndim - 1])
  if square && m != n {
    throw SGError.value("\(op): expected square matrices in the last two axes, got shape \(describe(x.shape))")
  }
  try requireBLAS(op, dimensions: [m, n])
  let work = try x.converted(to: .float64).cloned()
  guard try allFinite(work) else { throw SGError.value("\(op): the input contains NaN or infinity") }
  let batchShape = Array(x.shape.dropLast(2))
  let batch = batchShape.reduce(1, *)
  let results = try outputs.map { try Tensor(uninitializedShape: batchShape + $0, dtype: .float64) }
  let sizes = outputs.map { $0.reduce(1, *) }
  for b in 0..<batch where m * n > 0 {
    try body(work.pointer(Double.self) + b * m * n, m, n,
      zip(results, sizes).map { $0.pointer(Double.self) + b * $1 }, b)
  }
  return withExtendedLifetime(work) { results }
}

private let jobV = Int8(UInt8(ascii: "V"))
private let jobS = Int8(UInt8(ascii: "S"))
private let lowerTriangle = Int8(UInt8(ascii: "L"))

/// Matrices in the last two axes (square ones when asked), checked before any shape is read.
func requireMatrices(_ x: Tensor, _ op: String, square: Bool = false) throws {
  guard x.ndim >= 2 else {
    throw SGError.value("\(op): expected a matrix (or a batch of them), got shape \(describe(x.shape))")
  }
  if square && x.shape[x.ndim - 1] != x.shape[x.ndim - 2] {
    throw SGError.value("\(op): expected square matrices in the last two axes, got shape \(describe(x.shape))")
  }
}

/// J t from a VJP written with differentiable ops (Note [Factor primitives]).
private func jvpByTransposition(
  _ inputs: [Tensor], output: Tensor, tangents: [Tensor?], vjp: (Tensor) throws -> [Tensor?]
) throws -> Tensor? {
  guard let t = tangents[0] else { return nil }
  let u = try zeros(output.shape, dtype: output.dtype)
  try u.setRequiresGrad(true)
  let recordOuter = GradMode.isEnabled
  return try GradMode.with(enabled: true) {
    guard let g = try vjp(u)[0] else { return nil }
    let pairing = try sum(mul(g, t))
    guard pairing.requiresGrad else { return nil }
    return try Backward.gradients(of: [pairing], withRespectTo: [u], createGraph: recordOuter, allowUnused: true)[0]
  }
}

/// 1/(b_j - b_i) off the diagonal, 0 on it and wherever |b_j - b_i| is below `tolerance`
/// relative to the largest |b| (degenerate pairs; see the note above). Differentiable in b.
private func inverseGaps(_ b: Tensor) throws -> Tensor {
  let gaps = try sub(expandDims(b, axis: -2), expandDims(b, axis: -1))  // [i, j] = b_j - b_i
  let scale = try max(abs(b), axes: [-1], keepDims: true)
  let threshold = try mul(expandDims(scale, axis: -1), 1e-12 * Double(b.shape.last ?? 1))
  let degenerate = try lessEqual(abs(gaps), add(threshold, 1e-300))
  let safe = try `where`(degenerate, scalar(1), gaps)
  return try `where`(degenerate, scalar(0), reciprocal(safe))
}

/// A batch of diagonal matrices with `v` on the diagonal.
func diagEmbed(_ v: Tensor) throws -> Tensor {
  let n = v.shape.last ?? 0
  return try mul(expandDims(v, axis: -2), eye(n, dtype: v.dtype))
}

// MARK: Symmetric eigendecomposition

public struct Eigh: Primitive {
  public static let name = "eigh"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try taylorFromJVP(self, inputs, output: y, series: series, readsOutput: Self.readsOutput)
  }
  let part: FactorPart  // .first eigenvalues (ascending), .second eigenvectors (columns)

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    let n = x.shape.last ?? 0
    let outs = try batched(x, "eigh", outputs: [[n], [n, n]], square: true) { a, _, n, out, b in
      let info = sg_dsyevd(jobV, lowerTriangle, Int32(n), a, Int32(n), out[0])
      guard info == 0 else { throw SGError.value("eigh: the eigenvalue iteration did not converge (matrix \(b))") }
      out[1].update(from: a, count: n * n)
    }
    return try outs[part == .first ? 0 : 1].converted(to: x.dtype.floatingPoint)
  }

  /// Ā = V (diag(w̄) + F ∘ (Vᵀ V̄)) Vᵀ, symmetrised; F_ij = 1/(w_j - w_i).
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    let (w, v) = try eigh(inputs[0])
    let vt = try matrixTranspose(v)
    let inner = part == .first ? try diagEmbed(g) : try mul(inverseGaps(w), matmul(vt, g))
    let a = try matmul(matmul(v, inner), vt)
    return [try mul(add(a, matrixTranspose(a)), 0.5)]
  }

  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    try jvpByTransposition(inputs, output: output,
      tangents: tangents) { try vjp(inputs, output: output, cotangent: $0) }
  }
  /// Matrices are the last two axes: the batch axis joins the leading (batch) axes.
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) { try apply(self, [$0]) }
  }
}

/// Eigenvalues (ascending) and eigenvectors (columns) of symmetric matrices, from the lower
/// triangle (NumPy's `eigh`, UPLO='L').
public func eigh(_ a: Tensor) throws -> (values: Tensor, vectors: Tensor) {
  try requireMatrices(a, "eigh", square: true)
  return (try apply(Eigh(part: .first), [a]), try apply(Eigh(part: .second), [a]))
}

// MARK: Singular value decomposition

public struct SVD: Primitive {
  public static let name = "svd"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try taylorFromJVP(self, inputs, output: y, series: series, readsOutput: Self.readsOutput)
  }
  let part: FactorPart  // .first U (m x k), .second s (k), .third Vh (k x n)

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    try requireMatrices(x, "svd")
    let (m, n) = (x.shape[x.ndim - 2], x.shape[x.ndim - 1])
    let k = Swift.min(m, n)
    let outs = try batched(x, "svd", outputs: [[m, k], [k], [k, n]]) { a, m, n, out, b in
      let info = sg_dgesdd(jobS, Int32(m), Int32(n), a, Int32(n), out[1], out[0], Int32(k), out[2], Int32(n))
      guard info == 0 else { throw SGError.value("svd: the SVD did not converge (matrix \(b))") }
    }
    return try outs[part.rawValue].converted(to: x.dtype.floatingPoint)
  }

  /// The reduced-SVD rules (Townsend 2016), one cotangent at a time:
  /// s̄: U diag(s̄) Vᵀ;  Ū: U[(F ∘ (UᵀŪ - ŪᵀU)) S]Vᵀ + (I - UUᵀ) Ū S⁻¹ Vᵀ;
  /// V̄ (from Vh̄ᵀ): U[S (F ∘ (VᵀV̄ - V̄ᵀV))]Vᵀ + U S⁻¹ V̄ᵀ (I - VVᵀ);  F_ij = 1/(s_j² - s_i²).
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    let (u, s, vh) = try svd(inputs[0])
    let v = try matrixTranspose(vh)
    let ut = try matrixTranspose(u)
    switch part {
    case .second:
      return [try matmul(mul(u, expandDims(g, axis: -2)), vh)]
    case .first:
      let f = try inverseGaps(square(s))
      let skew = try sub(matmul(ut, g), matmul(matrixTranspose(g), u))
      var a = try matmul(matmul(u, mul(mul(f, skew), expandDims(s, axis: -2))), vh)
      if u.shape[u.ndim - 2] > u.shape[u.ndim - 1] {
        let outside = try sub(g, matmul(u, matmul(ut, g)))  // (I - UUᵀ) Ū
        a = try add(a, matmul(div(outside, expandDims(s, axis: -2)), vh))
      }
      return [a]
    case .third:
      let gv = try matrixTranspose(g)  // V̄
      let f = try inverseGaps(square(s))
      let skew = try sub(matmul(vh, gv), matmul(matrixTranspose(gv), v))
      var a = try matmul(matmul(u, mul(expandDims(s, axis: -1), mul(f, skew))), vh)
      if v.shape[v.ndim - 2] > v.shape[v.ndim - 1] {
        let outside = try sub(gv, matmul(v, matmul(vh, gv)))  // (I - VVᵀ) V̄
        a = try add(a, matmul(div(u, expandDims(s, axis: -2)), matrixTranspose(outside)))
      }
      return [a]
    }
  }

  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    try jvpByTransposition(inputs, output: output,
      tangents: tangents) { try vjp(inputs, output: output, cotangent: $0) }
  }
  /// Matrices are the last two axes: the batch axis joins the leading (batch) axes.
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) { try apply(self, [$0]) }
  }
}

/// Reduced SVD (NumPy's `svd(a, full_matrices=False)`): U (m x k), s (k, descending), Vh (k x n).
public func svd(_ a: Tensor) throws -> (u: Tensor, s: Tensor, vh: Tensor) {
  try requireMatrices(a, "svd")
  return (try apply(SVD(part: .first), [a]), try apply(SVD(part: .second), [a]), try apply(SVD(part: .third), [a]))
}

/// NumPy's `svd(a, full_matrices=True)`: U (m x m) and Vh (n x n) complete the reduced factors
/// with orthonormal bases of the complements (OrthogonalComplement). Those extra columns (rows
/// of Vh) are any such basis, so, as in PyTorch, derivatives ignore them: gradients and tangents
/// are the reduced SVD's.
public func svd(_ a: Tensor, fullMatrices: Bool) throws -> (u: Tensor, s: Tensor, vh: Tensor) {
  var (u, s, vh) = try svd(a)
  guard fullMatrices else { return (u, s, vh) }
  if u.shape[u.ndim - 2] > u.shape[u.ndim - 1] {
    u = try concatenate([u, apply(OrthogonalComplement(), [u])], axis: -1)
  }
  if vh.shape[vh.ndim - 1] > vh.shape[vh.ndim - 2] {
    let v = try matrixTranspose(vh)
    vh = try concatenate([vh, matrixTranspose(apply(OrthogonalComplement(), [v]))], axis: -2)
  }
  return (u, s, vh)
}

/// For Q (m x k, orthonormal columns, k < m): m - k orthonormal columns orthogonal to Q's, the
/// last columns of the complete Q factor of Q's Householder QR. A constant to differentiation
/// (see `svd(_:fullMatrices:)`).
public struct OrthogonalComplement: Primitive {
  public static let name = "orthogonal_complement"
  public static var isDifferentiable: Bool { false }

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    try requireMatrices(x, "orthogonal_complement")
    let (m, k) = (x.shape[x.ndim - 2], x.shape[x.ndim - 1])
    guard k < m else {
      throw SGError.value("orthogonal_complement: expected a tall matrix (m > k), got shape \(describe(x.shape))")
    }
    var tau = [Double](repeating: 0, count: Swift.max(k, 1))
    let q = UnsafeMutablePointer<Double>.allocate(capacity: m * m)
    defer { q.deallocate() }
    let outs = try batched(x, "orthogonal_complement", outputs: [[m, m - k]]) { a, m, k, out, b in
      var info = sg_dgeqrf(Int32(m), Int32(k), a, Int32(k), &tau)
      guard info == 0 else { throw SGError.value("orthogonal_complement: QR failed (matrix \(b))") }
      q.update(repeating: 0, count: m * m)
      for i in 0..<m { for j in 0..<k { q[i * m + j] = a[i * k + j] } }
      info = sg_dorgqr(Int32(m), Int32(m), Int32(k), q, Int32(m), &tau)
      guard info == 0 else { throw SGError.value("orthogonal_complement: forming Q failed (matrix \(b))") }
      for i in 0..<m { for j in 0..<(m - k) { out[0][i * (m - k) + j] = q[i * m + k + j] } }
    }
    return try outs[0].converted(to: x.dtype.floatingPoint)
  }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor) throws -> [Tensor?] { [nil] }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? { nil }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) { try apply(self, [$0]) }
  }
}

// MARK: QR

public struct QR: Primitive {
  public static let name = "qr"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try taylorFromJVP(self, inputs, output: y, series: series, readsOutput: Self.readsOutput)
  }
  let part: FactorPart  // .first Q (m x k), .second R (k x n)

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    try requireMatrices(x, "qr")
    let (m, n) = (x.shape[x.ndim - 2], x.shape[x.ndim - 1])
    let k = Swift.min(m, n)
    var tau = [Double](repeating: 0, count: Swift.max(k, 1))
    let outs = try batched(x, "qr", outputs: [[m, k], [k, n]]) { a, m, n, out, b in
      var info = sg_dgeqrf(Int32(m), Int32(n), a, Int32(n), &tau)
      guard info == 0 else { throw SGError.value("qr: factorisation failed (matrix \(b))") }
      for i in 0..<k { for j in 0..<n { out[1][i * n + j] = j >= i ? a[i * n + j] : 0 } }
      // Q from the reflectors: the first k columns, in an m x k buffer.
      let q = UnsafeMutablePointer<Double>.allocate(capacity: m * k)
      defer { q.deallocate() }
      for i in 0..<m { for j in 0..<k { q[i * k + j] = a[i * n + j] } }
      info = sg_dorgqr(Int32(m), Int32(k), Int32(k), q, Int32(k), &tau)
      guard info == 0 else { throw SGError.value("qr: forming Q failed (matrix \(b))") }
      out[0].update(from: q, count: m * k)
    }
    return try outs[part.rawValue].converted(to: x.dtype.floatingPoint)
  }

  /// For m >= n (reduced): Ā = (Q̄ + Q copyltu(M)) R⁻ᵀ with M = R R̄ᵀ - Q̄ᵀ Q and copyltu(M) the
  /// symmetric matrix with M's lower triangle; for m < n the rule is not implemented (raises).
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    let a = inputs[0]
    guard a.shape[a.ndim - 2] >= a.shape[a.ndim - 1] else {
      throw SGError.runtime(
        "[vjp] qr: gradients are implemented for m >= n (tall or square matrices), got shape \(describe(a.shape))")
    }
    let (q, r) = try qr(a)
    let (gq, gr) = part == .first ? (g, try zerosLike(r)) : (try zerosLike(q), g)
    let m = try sub(matmul(r, matrixTranspose(gr)), matmul(matrixTranspose(gq), q))
    let lower = try tril(m, k: -1)
    let copyltu = try add(add(lower, matrixTranspose(lower)), diagEmbed(diagonal(m, axis1: -2, axis2: -1)))
    let b = try add(gq, matmul(q, copyltu))
    // B R⁻ᵀ = (R⁻¹ Bᵀ)ᵀ, solved rather than inverted.
    return [try matrixTranspose(solve(r, matrixTranspose(b)))]
  }

  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    try jvpByTransposition(inputs, output: output,
      tangents: tangents) { try vjp(inputs, output: output, cotangent: $0) }
  }
  /// Matrices are the last two axes: the batch axis joins the leading (batch) axes.
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) { try apply(self, [$0]) }
  }
}

/// Reduced QR (NumPy's mode='reduced'): Q (m x k) with orthonormal columns, R (k x n) upper
/// triangular (LAPACK's signs: R's diagonal may be negative).
public func qr(_ a: Tensor) throws -> (q: Tensor, r: Tensor) {
  try requireMatrices(a, "qr")
  return (try apply(QR(part: .first), [a]), try apply(QR(part: .second), [a]))
}

func zerosLike(_ t: Tensor) throws -> Tensor { try zeros(t.shape, dtype: t.dtype) }

// MARK: slogdet, pinv, lstsq, matrix_power

/// log |det A|: gradient A⁻ᵀ (JVP tr(A⁻¹ dA)); -inf for a singular matrix (whose gradient is
/// then undefined and raises, as inverting it does).
public struct LogAbsDet: Primitive {
  public static let name = "logabsdet"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try taylorFromJVP(self, inputs, output: y, series: series, readsOutput: Self.readsOutput)
  }
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    let n = x.shape.last ?? 0
    var pivots = [Int32](repeating: 0, count: Swift.max(n, 1))
    let outs = try batched(x, "slogdet", outputs: [[]], square: true) { a, _, n, out, _ in
      _ = sg_dgetrf(Int32(n), Int32(n), a, Int32(n), &pivots)
      var total = 0.0
      for i in 0..<n { total += a[i * n + i] == 0 ? -.infinity : Double.log(Swift.abs(a[i * n + i])) }
      out[0][0] = total
    }
    return try outs[0].converted(to: x.dtype.floatingPoint)
  }
  /// Complex A: log|det A| = re(log det A), so the gradient is A^-H and the JVP re(tr(A^-1 dA)).
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    [try mul(expandDims(expandDims(g, axis: -1), axis: -1), matrixTranspose(conjugated(inv(inputs[0]))))]
  }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    guard let t = tangents[0] else { return nil }
    return try realTangent(sum(mul(matrixTranspose(inv(inputs[0])), t), axes: [-2, -1]), of: inputs[0])
  }
  /// Matrices are the last two axes: the batch axis joins the leading (batch) axes.
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) { try apply(self, [$0]) }
  }
}

/// Complex matrices: the sum of log|u_ii| of the LU factors, a real result.
extension LogAbsDet: ComplexPrimitive {
  func complexForward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    let out = try zerosKernel(Array(x.shape.dropLast(2)), dtype: .float64)
    let po = out.pointer(Double.self)
    _ = try eachComplexLU(x, "slogdet") { m, _, n, b in
      po[b] = (0..<n).reduce(0.0) { total, i in
        let u = m[i * n + i].magnitude
        return total + (u == 0 ? -.infinity : Double.log(u))
      }
    }
    return try out.converted(to: x.dtype.realPart)
  }
}

/// (sign, log|det|) as NumPy's `slogdet`: sign is 0 and logabsdet -inf for a singular matrix.
public func slogdet(_ a: Tensor) throws -> (sign: Tensor, logAbsDet: Tensor) {
  try requireMatrices(a, "slogdet", square: true)
  let logAbs = try apply(LogAbsDet(), [a])
  let sign = try withoutGrad { try SwiftGrad.sign(det(a.detach())) }
  return (sign, logAbs)
}

/// Moore-Penrose pseudo-inverse through the SVD, singular values below
/// rcond * max(s) treated as zero (NumPy's default rcond 1e-15).
public func pinv(_ a: Tensor, rcond: Double = 1e-15) throws -> Tensor {
  try pinv(a, rcond: scalar(rcond))
}

/// pinv with `rcond` a tensor broadcasting against the batch shape a.shape[:-2] (one cutoff per
/// matrix, as the array API's rtol allows).
public func pinv(_ a: Tensor, rcond: Tensor) throws -> Tensor {
  let (u, s, vh) = try svd(a)
  let cutoff = try mul(max(s, axes: [-1], keepDims: true), expandDims(cast(rcond, to: .float64), axis: -1))
  let keep = try greater(s, cutoff)
  let inverse = try `where`(keep, reciprocal(`where`(keep, s, scalar(1))), scalar(0))
  return try matmul(mul(matrixTranspose(vh), expandDims(inverse, axis: -2)), matrixTranspose(u))
}

/// The least-squares solution x minimising ||a x - b|| (minimum norm when rank-deficient), as
/// pinv(a) @ b. NumPy's `lstsq` also returns residuals, rank and singular values; this returns
/// the solution only.
public func lstsq(_ a: Tensor, _ b: Tensor, rcond: Double = 1e-15) throws -> Tensor {
  guard a.ndim >= 2, b.ndim >= 1, b.shape[b.ndim == 1 ? 0 : b.ndim - 2] == a.shape[a.ndim - 2] else {
    throw SGError.value(
      "lstsq: a of shape \(describe(a.shape)) and b of shape \(describe(b.shape)) do not fit (a is m x n, b has m " +
      "rows)")
  }
  return try matmul(pinv(a, rcond: rcond), b)
}

/// A^n by repeated squaring (n < 0: of the inverse; n = 0: the identity).
public func matrixPower(_ a: Tensor, _ n: Int) throws -> Tensor {
  guard a.ndim >= 2, a.shape[a.ndim - 1] == a.shape[a.ndim - 2] else {
    throw SGError.value("matrix_power: expected square matrices, got shape \(describe(a.shape))")
  }
  if n == 0 { return try broadcastTo(eye(a.shape.last ?? 0, dtype: a.dtype.floatingPoint), a.shape) }
  var base = n < 0 ? try inv(a) : a
  var k = n.magnitude
  var result: Tensor?
  while k > 0 {
    if k & 1 == 1 { result = try result.map { try matmul($0, base) } ?? base }
    k >>= 1
    if k > 0 { base = try matmul(base, base) }
  }
  return result ?? a
}

// MARK: Operation table (Note [One op table])
// Hidden: python/swiftgrad/linalg.py adds NumPy's options and named-tuple results.
extension Operation {
  static let decompositions: [Operation] = [
    Operation("eigh", "a", "(eigenvalues ascending, eigenvectors as columns) of symmetric matrices.",
              namespace: .hidden, result: .tuple) {
      let (w, v) = try eigh($0.tensor(0))
      return [w, v]
    },
    Operation("svd", "a, full_matrices: bool = False", "(U, s, Vh), reduced unless full_matrices.",
              namespace: .hidden, result: .tuple) {
      let (u, s, vh) = try svd($0.tensor(0), fullMatrices: $0.bool(1))
      return [u, s, vh]
    },
    Operation("qr", "a", "Reduced (Q, R).", namespace: .hidden, result: .tuple) {
      let (q, r) = try qr($0.tensor(0))
      return [q, r]
    },
    Operation("slogdet", "a", "(sign, log|det|).", namespace: .hidden, result: .tuple) {
      let (sign, logAbsDet) = try slogdet($0.tensor(0))
      return [sign, logAbsDet]
    },
    Operation("pinv", "a, rcond: tensor? = None", "Moore-Penrose pseudo-inverse (rcond: one number or one per "
              + "matrix; default 1e-15).", namespace: .hidden) {
      [try pinv($0.tensor(0), rcond: $0.optionalTensor(1) ?? scalar(1e-15))]
    },
    Operation("lstsq", "a, b, rcond: float = 1e-15", "Least-squares solution.", namespace: .hidden) {
      [try lstsq($0.tensor(0), $0.tensor(1), rcond: $0.float(2))]
    },
    Operation("matrix_power", "a, n: int", "a to the integer power n.", namespace: .hidden) {
      [try matrixPower($0.tensor(0), $0.int(1))]
    },
  ]
}
