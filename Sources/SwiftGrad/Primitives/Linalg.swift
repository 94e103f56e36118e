import CBLAS

/// Linear algebra through LAPACK (LAPACKE, row-major). Matrices are the last two axes; leading
/// axes are a batch, as in NumPy. Singular or non-positive-definite input raises ValueError.

/// Runs `body` on each matrix of a batch, as a dense float64 copy (LAPACK overwrites it).
private func eachMatrix(_ x: Tensor, _ op: String,
  _ body: (UnsafeMutablePointer<Double>, Int, Int) throws -> Void) throws -> Tensor {
  guard x.ndim >= 2, x.shape[x.ndim - 1] == x.shape[x.ndim - 2] else {
    throw SGError.value(
      "\(op): expected a square matrix (or a batch of them) in the last two axes, got shape \(describe(x.shape))")
  }
  let n = x.shape[x.ndim - 1]
  try requireBLAS(op, dimensions: [n])
  let work = try x.converted(to: .float64).cloned()
  let batch = work.count / Swift.max(n * n, 1)
  let p = work.pointer(Double.self)
  for b in 0..<(n == 0 ? 0 : batch) { try body(p + b * n * n, n, b) }
  return work
}

/// `eachMatrix` for complex inputs: each matrix as a dense complex128 copy, given to `body` with
/// its LU factorization (LAPACK's zgetrf) already done: (factors, pivots, n, batch index).
func eachComplexLU(_ x: Tensor, _ op: String,
  _ body: (UnsafeMutablePointer<Complex<Double>>, [Int32], Int, Int) throws -> Void) throws -> Tensor {
  try requireMatrices(x, op, square: true)
  let n = x.shape[x.ndim - 1]
  try requireBLAS(op, dimensions: [n])
  guard sg_blas_has_complex_lu() != 0 else {
    throw SGError.type("\(op): the loaded LAPACK has no complex LU (zgetrf/zgetri) for \(x.dtype) input")
  }
  let work = try x.converted(to: .complex128).cloned()
  let batch = work.count / Swift.max(n * n, 1)
  let p = work.pointer(Complex<Double>.self)
  var pivots = [Int32](repeating: 0, count: Swift.max(n, 1))
  for b in 0..<(n == 0 ? 0 : batch) {
    let m = p + b * n * n
    guard sg_zgetrf(Int32(n), Int32(n), m, Int32(n), &pivots) >= 0 else { throw SGError.value("\(op): invalid matrix") }
    try body(m, pivots, n, b)
  }
  return work
}

public struct Inverse: Primitive {
  public static let name = "inv"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try taylorFromJVP(self, inputs, output: y, series: series, readsOutput: Self.readsOutput)
  }
  public static var readsOutput: Bool { true }
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    var pivots = [Int32](repeating: 0, count: Swift.max(x.shape.last ?? 0, 1))
    let result = try eachMatrix(x, "inv") { m, n, b in
      var info = sg_dgetrf(Int32(n), Int32(n), m, Int32(n), &pivots)
      if info == 0 { info = sg_dgetri(Int32(n), m, Int32(n), &pivots) }
      guard info == 0 else {
        throw SGError.value("inv: Singular matrix (matrix \(b) of a batch of shape \(describe(x.shape)))")
      }
    }
    return try result.converted(to: x.dtype.floatingPoint)
  }
  /// -Y^H G Y^H (Y^T for real matrices; Note [Complex dtypes]).
  public func vjp(_ inputs: [Tensor], output y: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    let yt = try matrixTranspose(conjugated(y))
    return [try neg(matmul(matmul(yt, g), yt))]
  }
  public func jvp(_ inputs: [Tensor], output y: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    guard let t = tangents[0] else { return nil }
    return try neg(matmul(matmul(y, t), y))
  }
  /// Matrices are the last two axes: the batch axis joins the leading (batch) axes.
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) { try apply(self, [$0]) }
  }
}

public struct Determinant: Primitive {
  public static let name = "det"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try taylorFromJVP(self, inputs, output: y, series: series, readsOutput: Self.readsOutput)
  }
  public static var readsOutput: Bool { true }
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    let n = x.shape.last ?? 0
    let batchShape = Array(x.shape.dropLast(2))
    let out = try full(batchShape, 1, dtype: .float64)
    let po = out.pointer(Double.self)
    var pivots = [Int32](repeating: 0, count: Swift.max(n, 1))
    _ = try eachMatrix(x, "det") { m, n, b in
      let info = sg_dgetrf(Int32(n), Int32(n), m, Int32(n), &pivots)
      guard info >= 0 else { throw SGError.value("det: invalid matrix") }
      var d = 1.0
      for i in 0..<n {
        d *= m[i * n + i]
        if pivots[i] != Int32(i + 1) { d = -d }
      }
      po[b] = d
    }
    return try out.converted(to: x.dtype.floatingPoint)
  }
  /// d det / dA = adj(A)ᵀ: det · A⁻ᵀ while A is invertible, and at a singular matrix (where
  /// that formula has no inverse) the adjugate itself through the SVD (docs/LINALG.md).
  public func vjp(_ inputs: [Tensor], output y: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    let partials = try conjugated(Determinant.adjugateTranspose(inputs[0], det: y))  // holomorphic in A
    return [try mul(expandDims(expandDims(g, axis: -1), axis: -1), partials)]
  }
  public func jvp(_ inputs: [Tensor], output y: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    guard let t = tangents[0] else { return nil }
    return try sum(mul(Determinant.adjugateTranspose(inputs[0], det: y), t), axes: [-2, -1])
  }

  /// adj(A)ᵀ, differentiable. With A = U S Vᵀ: adj(A)ᵀ = det(U) det(V) U diag(∏_{j≠i} s_j) Vᵀ,
  /// finite for singular A; used when LAPACK finds A singular.
  static func adjugateTranspose(_ a: Tensor, det y: Tensor) throws -> Tensor {
    let scale = try expandDims(expandDims(y, axis: -1), axis: -1)
    if let inverse = try? inv(a) { return try mul(scale, matrixTranspose(inverse)) }
    let (u, s, vh) = try svd(a)
    let n = s.shape.last ?? 0
    let identity = try eye(n, dtype: s.dtype)
    let others = try prod(`where`(greater(identity, 0.5), scalar(1),
      broadcastTo(expandDims(s, axis: -2), s.shape + [n])), axes: [-1])
    let signs = try withoutGrad { try mul(SwiftGrad.det(u.detach()), SwiftGrad.det(vh.detach())) }
    return try mul(expandDims(expandDims(signs, axis: -1), axis: -1), matmul(mul(u, expandDims(others, axis: -2)), vh))
  }
  /// Matrices are the last two axes: the batch axis joins the leading (batch) axes.
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) { try apply(self, [$0]) }
  }
}

/// Complex matrices: through zgetrf/zgetri (computed in complex128, rounded to the input's dtype).
extension Inverse: ComplexPrimitive {
  func complexForward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    let result = try eachComplexLU(x, "inv") { m, pivots, n, b in
      guard (0..<n).allSatisfy({ m[$0 * n + $0] != Complex(0, 0) }), sg_zgetri(Int32(n), m, Int32(n), pivots) == 0
      else { throw SGError.value("inv: Singular matrix (matrix \(b) of a batch of shape \(describe(x.shape)))") }
    }
    return try result.converted(to: x.dtype)
  }
}

extension Determinant: ComplexPrimitive {
  func complexForward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    let out = try Tensor(uninitializedShape: Array(x.shape.dropLast(2)), dtype: .complex128)
    let po = out.pointer(Complex<Double>.self)
    for b in 0..<out.count { po[b] = Complex(1, 0) }  // empty matrices: 1
    _ = try eachComplexLU(x, "det") { m, pivots, n, b in
      var d = Complex<Double>(1, 0)
      for i in 0..<n { d = pivots[i] == Int32(i + 1) ? d * m[i * n + i] : -(d * m[i * n + i]) }
      po[b] = d
    }
    return try out.converted(to: x.dtype)
  }
}

/// Complex Hermitian positive-definite matrices: zpotrf in complex128 (only the lower triangle is read).
extension Cholesky: ComplexPrimitive {
  func complexForward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    try requireMatrices(x, "cholesky", square: true)
    let n = x.shape[x.ndim - 1]
    try requireBLAS("cholesky", dimensions: [n])
    guard sg_blas_has_complex_cholesky() != 0 else {
      throw SGError.type("cholesky: the loaded LAPACK has no complex Cholesky (zpotrf) for \(x.dtype) input")
    }
    let work = try x.converted(to: .complex128).cloned()
    let p = work.pointer(Complex<Double>.self)
    for b in 0..<(n == 0 ? 0 : work.count / (n * n)) {
      let m = p + b * n * n
      guard sg_zpotrf(Int8(UInt8(ascii: "L")), Int32(n), m, Int32(n)) == 0 else {
        throw SGError.value(
          "cholesky: Matrix is not positive definite (matrix \(b) of a batch of shape \(describe(x.shape)))")
      }
      for i in 0..<n { for j in (i + 1)..<Swift.max(n, i + 1) { m[i * n + j] = Complex(0, 0) } }
    }
    return try work.converted(to: x.dtype)
  }
}

/// Lower-triangular L with A = L L^T.
public struct Cholesky: Primitive {
  public static let name = "cholesky"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try taylorFromJVP(self, inputs, output: y, series: series, readsOutput: Self.readsOutput)
  }
  public static var readsOutput: Bool { true }
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    let result = try eachMatrix(x, "cholesky") { m, n, b in
      let info = sg_dpotrf(Int8(UInt8(ascii: "L")), Int32(n), m, Int32(n))
      guard info == 0 else {
        throw SGError.value(
          "cholesky: Matrix is not positive definite (matrix \(b) of a batch of shape \(describe(x.shape)))")
      }
      for i in 0..<n { for j in (i + 1)..<Swift.max(n, i + 1) { m[i * n + j] = 0 } }
    }
    return try result.converted(to: x.dtype.floatingPoint)
  }
  /// Φ: the lower triangle with the diagonal halved (a fixed mask, so linear and self-adjoint).
  static func phi(_ x: Tensor) throws -> Tensor {
    let n = x.shape.last ?? 0
    let mask = try zeros([n, n], dtype: x.dtype.realPart)  // a real mask for complex x too
    for i in 0..<n { for j in 0...i { try setElement(mask, i * n + j, i == j ? 0.5 : 1) } }
    return try mul(x, mask)
  }
  /// Ā = sym(L^-T Φ(L^T L̄) L^-1), the transpose of the JVP below (Murray, 2016). Complex
  /// (Hermitian A = L L^H): the transposes are conjugate transposes and sym the Hermitian part.
  public func vjp(_ inputs: [Tensor], output l: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    let lInv = try inv(l)
    let inner = try matmul(matmul(adjoint(lInv), Cholesky.phi(matmul(adjoint(l), g))), lInv)
    return [try mul(add(inner, adjoint(inner)), 0.5)]
  }
  /// dL = L Φ(L^-1 dA L^-T) (L^-H for complex A).
  public func jvp(_ inputs: [Tensor], output l: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    guard let t = tangents[0] else { return nil }
    let lInv = try inv(l)
    return try matmul(l, Cholesky.phi(matmul(matmul(lInv, t), adjoint(lInv))))
  }
  /// The conjugate transpose of the last two axes (the transpose for real matrices).
  private func adjoint(_ x: Tensor) throws -> Tensor { try matrixTranspose(conjugated(x)) }
  /// Matrices are the last two axes: the batch axis joins the leading (batch) axes.
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) { try apply(self, [$0]) }
  }
}

/// sqrt(sum(x^2)) over axes, with the gradient x / ||x|| taken as 0 at x = 0 (a subgradient;
/// the composite formula would give 0/0 = NaN there).
public struct EuclideanNorm: Primitive {
  public static let name = "norm"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try taylorFromJVP(self, inputs, output: y, series: series, readsOutput: Self.readsOutput)
  }
  public static var readsOutput: Bool { true }
  public let axes: [Int]
  public let keepDims: Bool
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    let squares = try withoutGrad { try sum(square(x.alias()), axes: axes, keepDims: keepDims) }
    return try withoutGrad { try sqrt(squares) }.alias()
  }
  func direction(_ x: Tensor, _ y: Tensor) throws -> Tensor {
    let yk = try reshape(y, keptShape(x.shape, axes: axes))
    let safe = try `where`(equal(yk, 0), full([], 1, dtype: y.dtype), yk)
    return try div(x, safe)
  }
  public func vjp(_ inputs: [Tensor], output y: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    [try mul(reshape(g, keptShape(inputs[0].shape, axes: axes)), direction(inputs[0], y))]
  }
  public func jvp(_ inputs: [Tensor], output y: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    guard let t = tangents[0] else { return nil }
    return try sum(mul(t, direction(inputs[0], y)), axes: axes, keepDims: keepDims)
  }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) {
      try apply(EuclideanNorm(axes: self.axes.map { $0 + 1 }, keepDims: keepDims), [$0])
    }
  }
}

func setElement(_ t: Tensor, _ flatIndex: Int, _ value: Double) throws {
  switch t.dtype {
  case .float32: t.pointer(Float.self)[flatIndex] = Float(value)
  case .float64: t.pointer(Double.self)[flatIndex] = value
  default: throw SGError.type("setElement: floating-point tensor expected")
  }
}

public func inv(_ a: Tensor) throws -> Tensor { try apply(Inverse(), [a]) }
public func det(_ a: Tensor) throws -> Tensor { try apply(Determinant(), [a]) }
public func cholesky(_ a: Tensor) throws -> Tensor { try apply(Cholesky(), [a]) }

/// Solves a x = b (NumPy's `solve`: b is a vector when 1-D, else a matrix or a batch of them),
/// through the inverse so that every derivative comes from `inv` and `matmul`.
public func solve(_ a: Tensor, _ b: Tensor) throws -> Tensor {
  guard a.ndim >= 2 else { throw SGError.value("solve: a must be at least 2-D, got shape \(describe(a.shape))") }
  guard b.ndim >= 1 else { throw SGError.value("solve: b must be at least 1-D, got shape \(describe(b.shape))") }
  let n = a.shape[a.ndim - 1]
  let rows = b.ndim == 1 ? b.shape[0] : b.shape[b.ndim - 2]
  guard rows == n else {
    throw SGError.value("solve: shapes \(describe(a.shape)) and \(describe(b.shape)) are incompatible")
  }
  return try matmul(inv(a), b)
}

/// NumPy's `linalg.norm`: vectors (2, 1, inf, -inf, 0, any p), matrices ('fro', 'nuc', 2, -2,
/// 1, -1, inf, -inf); the nuclear and spectral norms through the SVD.
public func norm(
  _ x: Tensor, ord: Double? = nil, frobenius: Bool = false, nuclear: Bool = false, axes: [Int]? = nil,
  keepDims: Bool = false
) throws -> Tensor {
  let xf = try cast(x, to: x.dtype.floatingPoint)
  let a = try normalizeAxes(axes, ndim: x.ndim, op: "norm")
  let spectral = nuclear || (a.count == 2 && (ord == 2 || ord == -2))
  if xf.dtype.isComplex && !spectral {  // every other norm is that of the moduli (a real result)
    return try norm(abs(xf), ord: ord, frobenius: frobenius, axes: axes, keepDims: keepDims)
  }
  if spectral {
    guard a.count == 2 else { throw SGError.value("norm: 'nuc' and matrix orders 2/-2 need two axes, got \(a.count)") }
    // The two axes last, then reduce the singular values.
    let rest = (0..<x.ndim).filter { !a.contains($0) }
    let s = try svd(transpose(xf, rest + a)).s
    var r = nuclear ? try sum(s, axes: [-1]) : ord == 2 ? try max(s, axes: [-1]) : try min(s, axes: [-1])
    if keepDims {
      for axis in a.sorted() { r = try expandDims(r, axis: axis) }
    }
    return r
  }
  if ord == nil || frobenius || (ord == 2 && a.count == 1) {
    guard !(frobenius && a.count != 2 && axes != nil) else { throw SGError.value("norm: 'fro' needs two axes") }
    return try apply(EuclideanNorm(axes: a, keepDims: keepDims), [xf])
  }
  guard let ord else { throw SGError.value("norm: invalid order") }
  if a.count == 1 {
    switch ord {
    case .infinity: return try max(abs(xf), axes: a, keepDims: keepDims)
    case -.infinity: return try min(abs(xf), axes: a, keepDims: keepDims)
    case 0: return try sum(cast(notEqual(xf, scalar(0)), to: xf.dtype), axes: a, keepDims: keepDims)
    default:
      return try pow(sum(pow(abs(xf), scalar(ord)), axes: a, keepDims: keepDims), scalar(1 / ord))
    }
  }
  guard a.count == 2 else { throw SGError.value("norm: improper number of dimensions to norm (\(a.count))") }
  let (rowsAxis, colsAxis) = (a[0], a[1])
  switch ord {
  case 1, -1:
    let columnSums = try sum(abs(xf), axes: [rowsAxis], keepDims: true)
    let r = ord == 1 ? try max(columnSums, axes: [colsAxis], keepDims: true) : try min(columnSums, axes: [colsAxis],
      keepDims: true)
    return keepDims ? r : try squeeze(r, axes: a)
  case .infinity, -.infinity:
    let rowSums = try sum(abs(xf), axes: [colsAxis], keepDims: true)
    let r = ord > 0 ? try max(rowSums, axes: [rowsAxis], keepDims: true) : try min(rowSums, axes: [rowsAxis],
      keepDims: true)
    return keepDims ? r : try squeeze(r, axes: a)
  default:
    throw SGError.value("norm: invalid matrix order \(ord) (use 'fro', 'nuc', 2, -2, 1, -1, inf or -inf)")
  }
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let linearAlgebra: [Operation] = [
    .unary("inv", "Inverse of a square matrix (or a batch); raises ValueError when singular.", namespace: .linalg,
           domain: .invertibleMatrices, parameter: "a", inv),
    .unary("det", "Determinant of a square matrix (or a batch).", namespace: .linalg, domain: .invertibleMatrices,
           parameter: "a", det),
    .unary("cholesky", "Lower-triangular L with a = L L^T; raises ValueError unless positive definite.",
           namespace: .linalg, domain: .positiveDefiniteMatrices, parameter: "a", cholesky),
    .binary("solve", "Solution x of a x = b (b a vector when 1-D, else matrices).", namespace: .linalg,
            parameters: ("a", "b"), solve),
    Operation("norm", "x, ord: float|str? = None, axis: ints? = None, keepdims: bool = False",
              "NumPy's linalg.norm: vector orders, 'fro', 'nuc' and matrix orders.", namespace: .linalg) {
      var order: Double?
      var frobenius = false, nuclear = false
      switch $0.value(1) {
      case .string("fro"): frobenius = true
      case .string("nuc"): nuclear = true
      case .string(let s): throw SGError.value("norm: invalid order '\(s)' (use a number, 'fro' or 'nuc')")
      case .none: break
      default: order = try $0.float(1)
      }
      return [try norm($0.tensor(0), ord: order, frobenius: frobenius, nuclear: nuclear,
                       axes: $0.optionalInts(2), keepDims: $0.bool(3))]
    },
  ]
}
