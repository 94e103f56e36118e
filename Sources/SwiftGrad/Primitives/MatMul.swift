/// Matrix product of operands with at least two dimensions; leading (batch) dimensions
/// broadcast. 1-D operands are handled by `matmul(_:_:)`, which reshapes around this.
public struct MatMul: Primitive {
  public static let name = "matmul"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try bilinearTaylor(inputs, output: y, series: series) { try apply(self, [$0, $1]) }  // Cauchy product
  }
  public func readsInput(_ index: Int, of inputs: [Tensor]) -> Bool { inputs[1 - index].requiresGrad }

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let dtype = DType.promote(inputs[0].dtype, inputs[1].dtype)
    let a = try inputs[0].converted(to: dtype)
    let b = try inputs[1].converted(to: dtype)
    let batch = try broadcastShapes(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)))
    let (m, n) = (a.shape[a.ndim - 2], b.shape[b.ndim - 1])
    let out = try Tensor(uninitializedShape: batch + [m, n], dtype: dtype)
    let ab = a.broadcastView(to: batch + Array(a.shape.suffix(2)))
    let bb = b.broadcastView(to: batch + Array(b.shape.suffix(2)))
    let batchCount = batch.reduce(1, *)
    // Flattening the batch works for most layouts; broadcast batches fall back to index walking.
    let flatA = ab.reshapedView([batchCount] + Array(a.shape.suffix(2)))
    let flatB = bb.reshapedView([batchCount] + Array(b.shape.suffix(2)))
    let flatOut = out.reshapedView([batchCount, m, n])!
    for i in 0..<batchCount {
      let ai = matrixView(flatA, ab, batch: batch, index: i)
      let bi = matrixView(flatB, bb, batch: batch, index: i)
      try gemm(ai, bi,
        into: flatOut.indexedView([.index(i), .range(start: 0, step: 1, count: m),
          .range(start: 0, step: 1, count: n)]))
    }
    return out
  }

  /// The i-th matrix of a broadcast batch (walking the batch index without copying).
  private func matrixView(_ flat: Tensor?, _ t: Tensor, batch: [Int], index: Int) -> Tensor {
    if batch.isEmpty { return t }
    if let flat { return flat.indexedView([.index(index)] + matrixItems(flat)) }
    var rest = index
    var items: [ResolvedIndex] = []
    for d in batch.reversed() {
      items.insert(.index(rest % d), at: 0)
      rest /= d
    }
    return t.indexedView(items + matrixItems(t))
  }

  private func matrixItems(_ t: Tensor) -> [ResolvedIndex] {
    t.shape.suffix(2).map { .range(start: 0, step: 1, count: $0) }
  }

  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    let (a, b) = (inputs[0], inputs[1])
    // Complex operands: g b^H and a^H g (Note [Complex dtypes]). A column-major matrix operand
    // (the Wᵀ of `x @ W.T` in a Linear layer) gets a column-major gradient, computed as the
    // transpose of the product the other way round: the transpose's VJP then hands W a
    // contiguous gradient, which optimizers and gradient buckets read without a strided copy.
    func gradA() throws -> Tensor {
      if isColumnMajorMatrix(a) && g.ndim == 2 {
        return try matrixTranspose(matmul(conjugated(b), matrixTranspose(g)))
      }
      return try unbroadcast(matmul(g, conjugated(matrixTranspose(b))), to: a.shape)
    }
    func gradB() throws -> Tensor {
      if isColumnMajorMatrix(b) && g.ndim == 2 {
        return try matrixTranspose(matmul(matrixTranspose(g), conjugated(a)))
      }
      return try unbroadcast(matmul(conjugated(matrixTranspose(a)), g), to: b.shape)
    }
    return [a.requiresGrad ? try gradA() : nil, b.requiresGrad ? try gradB() : nil]
  }

  private func isColumnMajorMatrix(_ t: Tensor) -> Bool {
    t.ndim == 2 && t.shape[0] > 1 && t.shape[1] > 1 && t.strides[0] == 1 && t.strides[1] == t.shape[0]
  }

  public func jvp(_ inputs: [Tensor], output: Tensor, tangents t: [Tensor?]) throws -> Tensor? {
    try sumTangents([try t[0].map { try matmul($0, inputs[1]) }, try t[1].map { try matmul(inputs[0], $0) }])
  }

  /// Batched operands become leading batch dimensions. A batch of matrices times one shared
  /// matrix (leading axes of size 1 allowed) is one GEMM through `matmul`'s stacked-rows path;
  /// one shared matrix times a batch is a GEMM per entry, or for small matrices becomes the
  /// first case by transposing: a B = (Bᵀ aᵀ)ᵀ.
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    func shared(_ k: Int) -> Tensor? {
      let (x, other) = (inputs[k], inputs[1 - k])
      guard axes[k] == nil, axes[1 - k] != nil, x.ndim <= other.ndim - 1,
        x.shape.dropLast(2).allSatisfy({ $0 == 1 })
      else { return nil }
      return try? reshape(x, Array(x.shape.suffix(2)))
    }
    if let b = shared(1) { return (try matmul(Batching.front(inputs[0], axes[0]), b), 0) }
    if let a = shared(0) {
      let b = try Batching.front(inputs[1], axes[1])
      // One GEMM per batch entry writes the products in place. The transposed form is a single
      // GEMM, but it copies the transposed batch and leaves a transposed result that the next op
      // copies again; it wins only where a BLAS call's overhead (~0.5 µs) dominates: measured
      // on W13's convolutions, the crossover is near 8192 multiply-adds per matrix.
      if Double(a.shape[0]) * Double(a.shape[1]) * Double(b.shape[b.ndim - 1]) >= 8192 {
        return (try matmul(a, b), 0)
      }
      return (try matrixTranspose(matmul(matrixTranspose(b), matrixTranspose(a))), 0)
    }
    let (a, b) = try { () throws -> (Tensor, Tensor) in
      let parts = try Batching.aligned(inputs, axes)
      return (parts[0], parts[1])
    }()
    return (try matmul(a, b), 0)
  }
}

/// A vector times a matrix, (n) @ (n, m) -> (m), as one primitive: `matmul`'s promotion to a
/// (1, n) matrix would record a reshape and a squeeze around it, and under vmap and jets each
/// of those is several more ops per coefficient (about a tenth of a collapsed Laplacian of a
/// 64-wide MLP).
/// Float32/float64 operands of one dtype only; everything else takes the promotion.
public struct VecMat: Primitive {
  public static let name = "matmul"
  public func readsInput(_ index: Int, of inputs: [Tensor]) -> Bool { inputs[1 - index].requiresGrad }

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let (a, b) = (inputs[0], inputs[1])
    let row = try a.reshapedView([1, a.shape[0]]) ?? a.densified().reshapedView([1, a.shape[0]])!
    let out = try MatMul().forward([row, b])
    return try out.reshapedView([b.shape[1]]) ?? out.densified().reshapedView([b.shape[1]])!
  }

  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    let (a, b) = (inputs[0], inputs[1])
    return [
      a.requiresGrad ? try matmul(b, g) : nil,
      b.requiresGrad ? try mul(reshape(a, [a.shape[0], 1]), g) : nil,  // the outer product a gᵀ
    ]
  }

  public func jvp(_ inputs: [Tensor], output: Tensor, tangents t: [Tensor?]) throws -> Tensor? {
    try sumTangents([try t[0].map { try matmul($0, inputs[1]) }, try t[1].map { try matmul(inputs[0], $0) }])
  }

  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try bilinearTaylor(inputs, output: y, series: series) { try apply(self, [$0, $1]) }  // Cauchy product
  }

  /// A batch of vectors times one matrix is one GEMM of the stacked rows.
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    let a = try Batching.front(inputs[0], axes[0])
    let b = try Batching.front(inputs[1], axes[1])
    switch (axes[0] != nil, axes[1] != nil) {
    case (true, false): return (try matmul(a, b), 0)
    case (false, true): return (try matmul(a, b), 0)  // (n) @ (B, n, m)
    default: return (try squeeze(matmul(expandDims(a, axis: 1), b), axes: [1]), 0)
    }
  }
}

/// NumPy's `matmul`: 1-D operands are promoted to matrices and the added axis removed again.
public func matmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
  if a.ndim == 1 && b.ndim == 2 && a.dtype == b.dtype && (a.dtype == .float64 || a.dtype == .float32)
    && a.shape[0] == b.shape[0]
  {
    return try apply(VecMat(), [a, b])
  }
  guard a.ndim > 0 && b.ndim > 0 else {
    throw SGError.value(
      "matmul: Input operand does not have enough dimensions (shapes \(describe(a.shape)) and \(describe(b.shape)))")
  }
  let a2 = a.ndim == 1 ? try reshape(a, [1, a.shape[0]]) : a
  let b2 = b.ndim == 1 ? try reshape(b, [b.shape[0], 1]) : b
  guard a2.shape[a2.ndim - 1] == b2.shape[b2.ndim - 2] else {
    throw SGError.value(
      "matmul: Input operand 1 has a mismatch in its core dimension 0 (size \(b2.shape[b2.ndim - 2]) is different " +
      "from \(a2.shape[a2.ndim - 1])); shapes \(describe(a.shape)) and \(describe(b.shape))")
  }
  let batch = try broadcastShapes(Array(a2.shape.dropLast(2)), Array(b2.shape.dropLast(2)))
  try checkShape(batch + [a2.shape[a2.ndim - 2], b2.shape[b2.ndim - 1]], "matmul")
  // A batch of matrices times one matrix (a linear layer on (..., in) inputs) is one GEMM of the
  // stacked rows, as PyTorch computes it; the recorded reshapes make the weight's gradient one
  // GEMM too, instead of a GEMM per batch entry summed afterwards.
  if a2.ndim > 2 && b2.ndim == 2 && b.ndim == 2 {
    let rows = try reshape(a2, [a2.shape.dropLast().reduce(1, *), a2.shape[a2.ndim - 1]])
    return try reshape(apply(MatMul(), [rows, b2]), Array(a2.shape.dropLast()) + [b2.shape[1]])
  }
  var out = try apply(MatMul(), [a2, b2])
  if a.ndim == 1 { out = try squeeze(out, axes: [out.ndim - 2]) }
  if b.ndim == 1 { out = try squeeze(out, axes: [out.ndim - 1]) }
  return out
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let products: [Operation] = [
    .binary("matmul", "Matrix product with NumPy semantics (1-D, 2-D, batched).", matmul),
  ]
}
