/// Note [Row-sparse gradients]
/// The gradient of an embedding table touched at k of its N rows is zero outside those rows, so
/// it is kept as row indices (int64, (k,)) and values ((k,) + the trailing shape): O(k x D)
/// memory instead of O(N x D). Such a gradient is a `Tensor` whose `sparseRows` is set and
/// whose shape and dtype are the dense gradient's, so `.grad`, hooks, `autograd.grad` and
/// backward's bookkeeping pass it around like any gradient.
///
/// Its own storage is a single read-only zero element viewed with zero strides: no kernel can
/// read out of bounds and no in-place write can land in it. Dense code never sees that face:
/// `apply` (every recorded op) and `copyKernel` (densified / converted / cloned) replace a
/// row-sparse operand by its dense value first, so an op on a sparse gradient computes the
/// dense result (and costs the dense memory). Code that reads raw memory outside those paths
/// (the Python buffer export, optimizer kernels) checks `isSparse` itself.
///
/// Accumulation (`addGradients`): sparse + sparse concatenates indices and values (still
/// sparse, duplicates allowed); sparse + dense is dense. `coalesced()` sorts the indices and
/// sums duplicate rows. Sparse gradients are produced only when no graph of the backward pass
/// is recorded (`create_graph=False`); with create_graph the rule returns the dense scatter-add
/// so that the gradient can be differentiated again.
public final class SparseRows {
  /// int64, contiguous, (nnz,), every value in 0..<rowCount.
  public let indices: Tensor
  /// Contiguous, (nnz,) + the dense shape's trailing dimensions.
  public let values: Tensor
  /// Sorted without duplicates.
  public let isCoalesced: Bool
  public let rowCount: Int

  init(indices: Tensor, values: Tensor, rowCount: Int, isCoalesced: Bool) {
    self.indices = indices
    self.values = values
    self.rowCount = rowCount
    self.isCoalesced = isCoalesced
  }

  /// The dense tensor (zeros outside the rows, duplicate rows summed).
  public func dense() throws -> Tensor {
    try ScatterAdd(indices: indices, axis: 0, size: rowCount).forwardInStorageDType([values])
  }
}

extension Tensor {
  public var isSparse: Bool { sparseRows != nil }

  /// A row-sparse tensor of shape `[rowCount] + values.shape[1...]` from row `indices` (int64,
  /// 1-D, in 0..<rowCount, repeats allowed) and `values` (one row per index, floating point).
  public static func rowSparse(indices: Tensor, values: Tensor, rowCount: Int) throws -> Tensor {
    guard indices.dtype == .int64, indices.ndim == 1 else {
      throw SGError.type(
        "row-sparse tensor: indices must be a 1-D int64 tensor, got \(indices.dtype) of shape "
          + describe(indices.shape))
    }
    guard values.dtype.isFloatingPoint, values.ndim >= 1, values.shape[0] == indices.shape[0] else {
      throw SGError.value(
        "row-sparse tensor: values of shape \(describe(values.shape)) and dtype \(values.dtype) must be "
          + "floating point with one row per index (\(indices.shape[0]) indices)")
    }
    guard rowCount >= 0 else { throw SGError.value("row-sparse tensor: negative row count \(rowCount)") }
    let idx = try indices.denseFace().densified()
    let p = idx.pointer(Int64.self)
    for i in 0..<idx.count where p[i] < 0 || p[i] >= Int64(rowCount) {
      throw SGError.index("row-sparse tensor: row index \(p[i]) is out of bounds for \(rowCount) rows")
    }
    let rows = SparseRows(
      indices: idx, values: try values.denseFace().densified(), rowCount: rowCount, isCoalesced: false)
    return try rows.wrapped()
  }

  /// The dense value of a row-sparse tensor, `self` otherwise.
  func denseFace() throws -> Tensor { try sparseRows?.dense() ?? self }

  /// A row-sparse tensor with sorted, unique indices (duplicate rows summed); `self` when it
  /// is dense or already coalesced.
  public func coalesced() throws -> Tensor {
    guard let rows = sparseRows, !rows.isCoalesced else { return self }
    let idx = rows.indices.pointer(Int64.self)
    let n = rows.indices.count
    let order = (0..<n).sorted { idx[$0] < idx[$1] || (idx[$0] == idx[$1] && $0 < $1) }
    var unique = 0
    for (position, i) in order.enumerated() where position == 0 || idx[i] != idx[order[position - 1]] {
      unique += 1
    }
    let rowShape = Array(rows.values.shape.dropFirst())
    let width = rowShape.reduce(1, *)
    let outIndices = try Tensor(uninitializedShape: [unique], dtype: .int64)
    let outValues = try zerosKernel([unique] + rowShape, dtype: rows.values.dtype)
    let dst = outIndices.pointer(Int64.self)
    func sumRows<T: FloatElement>(_: T.Type) {
      let (src, out) = (rows.values.pointer(T.self), outValues.pointer(T.self))
      var slot = -1
      for (position, i) in order.enumerated() {
        if position == 0 || idx[i] != idx[order[position - 1]] {
          slot += 1
          dst[slot] = idx[i]
        }
        let (from, to) = (src + i * width, out + slot * width)
        for j in 0..<width { to[j] += from[j] }
      }
    }
    switch rows.values.dtype {
    case .float32: sumRows(Float.self)
    default: sumRows(Double.self)
    }
    return try SparseRows(indices: outIndices, values: outValues, rowCount: rows.rowCount, isCoalesced: true)
      .wrapped()
  }
}

extension SparseRows {
  /// The tensor whose `sparseRows` is `self` (Note [Row-sparse gradients]: a zero-stride
  /// read-only face over one zero element).
  func wrapped() throws -> Tensor {
    let shape = [rowCount] + Array(values.shape.dropFirst())
    try checkShape(shape, "row-sparse tensor")
    let storage = try Storage.owned(byteCount: values.dtype.itemSize)
    storage.data.initializeMemory(as: UInt8.self, repeating: 0, count: values.dtype.itemSize)
    storage.isReadOnly = true
    let t = Tensor(
      storage: storage, shape: shape, strides: Array(repeating: 0, count: shape.count), offset: 0,
      dtype: values.dtype)
    t.sparseRows = self
    return t
  }
}

/// Sum of two gradients of one tensor: sparse + sparse stays sparse (concatenated, coalesced
/// later), anything else is the dense sum.
public func addGradients(_ a: Tensor, _ b: Tensor) throws -> Tensor {
  guard let ra = a.sparseRows, let rb = b.sparseRows else { return try add(a, b) }
  guard a.shape == b.shape else {
    throw SGError.value("cannot add row-sparse gradients of shapes \(describe(a.shape)) and \(describe(b.shape))")
  }
  let values = try concatenate([ra.values, rb.values]).densified()
  return try SparseRows(
    indices: concatenate([ra.indices, rb.indices]).densified(), values: values, rowCount: ra.rowCount,
    isCoalesced: false
  ).wrapped()
}

/// Backward's gradient for a leaf: `g` itself when the sweep holds the only reference to it and
/// nothing else can reach its memory (the usual case: a rule's fresh result), saving a copy of
/// every parameter's gradient per step; else `ownedGradient(g)`. The counts can only err high,
/// which costs a copy, never an alias.
func ownedGradient(taking g: inout Tensor) throws -> Tensor {
  if g.sparseRows == nil && g.gradFn == nil && !g.requiresGrad && g.isContiguous && g.offset == 0
    && g.count &* g.dtype.itemSize == g.storage.byteCount && !g.storage.isBorrowed && !g.storage.isReadOnly
    && g.hooks.isEmpty && g.tangents.isEmpty && g.jets.isEmpty && g.batch == nil
    && isKnownUniquelyReferenced(&g) && strongReferences(g.storage) == 1
  {
    return g
  }
  return try ownedGradient(g)
}

@_silgen_name("swift_retainCount")
private func swiftRetainCount(_ object: UnsafeMutableRawPointer) -> Int

/// The strong reference count of `object` (the Swift runtime's own count).
private func strongReferences(_ object: AnyObject) -> Int {
  swiftRetainCount(Unmanaged.passUnretained(object).toOpaque())
}

/// A gradient a leaf may own (optimizers update `.grad` in place): a fresh copy.
func ownedGradient(_ g: Tensor) throws -> Tensor {
  guard let rows = g.sparseRows else { return try copy(g.detach()) }
  return try SparseRows(
    indices: rows.indices.cloned(), values: rows.values.cloned(), rowCount: rows.rowCount,
    isCoalesced: rows.isCoalesced
  ).wrapped()
}

/// Backward's shape/dtype check for a row-sparse cotangent (float32 inputs get float32 values).
func conformedRowSparse(_ g: Tensor, to input: Tensor, from rule: String) throws -> Tensor {
  guard let rows = g.sparseRows else { return g }
  guard g.shape == input.shape else {
    throw SGError.runtime(
      "[vjp] \(rule) returned a row-sparse gradient of shape \(describe(g.shape)) for an input of shape "
        + describe(input.shape))
  }
  guard g.dtype != input.dtype else { return g }
  return try SparseRows(
    indices: rows.indices, values: rows.values.converted(to: input.dtype), rowCount: rows.rowCount,
    isCoalesced: rows.isCoalesced
  ).wrapped()
}
