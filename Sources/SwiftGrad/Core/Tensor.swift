/// An n-dimensional strided view of a `Storage`, plus its autograd bookkeeping.
///
/// Shape and strides are in elements. Views (transpose, broadcast, basic slicing) share storage
/// and differ only in `shape`, `strides` and `offset`.
public final class Tensor {
  public let storage: Storage
  public let shape: [Int]
  public let strides: [Int]
  public let offset: Int
  public let dtype: DType
  /// Number of elements, and whether the layout is dense row-major: both fixed at creation.
  public let count: Int
  public let isContiguous: Bool

  /// A Python scalar operand: it does not widen the other operand's dtype (NumPy's "weak" scalars).
  public internal(set) var isWeaklyTyped = false

  // Autograd state (reverse mode): see Autodiff/Node.swift.
  public internal(set) var requiresGrad = false
  public var grad: Tensor? { didSet { gradAssignments &+= 1 } }
  /// Counts assignments to `grad` (Note [Backward is all or nothing]).
  public internal(set) var gradAssignments = 0
  var gradFn: Node?
  var retainsGrad = false
  /// The state few tensors have, boxed (nil for most: one reference to release, not five).
  private(set) var extras: TensorExtras?

  var hooks: [(Tensor) throws -> Tensor?] {
    get { extras?.hooks ?? [] }
    set { if extras != nil || !newValue.isEmpty { boxedExtras().hooks = newValue } }
  }
  /// Forward-mode tangents, one per active `jvp` nesting level (see Autodiff/Forward.swift).
  var tangents: [LevelTangent] {
    get { extras?.tangents ?? [] }
    set { if extras != nil || !newValue.isEmpty { boxedExtras().tangents = newValue } }
  }
  /// Taylor-mode series, one per active `jet` level (Note [Jet levels], Autodiff/Jet.swift).
  var jets: [LevelSeries] {
    get { extras?.jets ?? [] }
    set { if extras != nil || !newValue.isEmpty { boxedExtras().jets = newValue } }
  }
  /// Set for a row-sparse gradient (Note [Row-sparse gradients], Core/SparseRows.swift).
  public internal(set) var sparseRows: SparseRows? {
    get { extras?.sparseRows }
    set { if extras != nil || newValue != nil { boxedExtras().sparseRows = newValue } }
  }
  /// Set on the logical tensors `vmap` hands to the function (Note [Batching levels]).
  public internal(set) var batch: BatchedValue? {
    get { extras?.batch }
    set { if extras != nil || newValue != nil { boxedExtras().batch = newValue } }
  }

  private func boxedExtras() -> TensorExtras {
    if let extras { return extras }
    let box = TensorExtras()
    extras = box
    return box
  }

  public init(storage: Storage, shape: [Int], strides: [Int], offset: Int, dtype: DType) {
    self.storage = storage
    self.shape = shape
    self.strides = strides
    self.offset = offset
    self.dtype = dtype
    var n = 1
    for d in shape { n &*= d }
    count = n
    isContiguous = n <= 1 || isRowMajor(shape, strides)
  }

  /// A fresh contiguous tensor shaped like `model` (sharing its shape and, when `model` is
  /// contiguous, its strides arrays: copy-on-write arrays make that free).
  public convenience init(uninitializedLike model: Tensor, dtype: DType) throws {
    self.init(
      storage: try Storage.owned(byteCount: model.count &* dtype.itemSize), shape: model.shape,
      strides: hasExactContiguousStrides(model.shape, model.strides) ? model.strides : contiguousStrides(model.shape),
      offset: 0, dtype: dtype)
  }

  /// A fresh contiguous tensor with uninitialised elements.
  /// Fresh memory for `shape`: a ValueError when the size overflows, a MemoryError when it
  /// exceeds what this process may allocate or malloc fails (Note [Checked size arithmetic]).
  public convenience init(uninitializedShape shape: [Int], dtype: DType) throws {
    let bytes = try checkedByteCount(shape, itemSize: dtype.itemSize)
    self.init(
      storage: try Storage.owned(byteCount: bytes), shape: shape,
      strides: contiguousStrides(shape), offset: 0, dtype: dtype)
  }

  deinit { Node.releaseIteratively(self) }

  public var ndim: Int { shape.count }
  public var isLeaf: Bool { gradFn == nil }

  /// Address of element [0, 0, ...]; valid while `self` is alive.
  public var baseAddress: UnsafeMutableRawPointer { storage.data + offset * dtype.itemSize }

  func pointer<T>(_: T.Type) -> UnsafeMutablePointer<T> {
    baseAddress.assumingMemoryBound(to: T.self)
  }

  /// Name of the primitive that produced this tensor, if it was recorded.
  public var gradFnName: String? { gradFn.map { type(of: $0.primitive).name } }
}

/// The rarely set parts of a tensor's state (hooks, forward-mode tangents and series, row-sparse
/// and batched faces). Most tensors have none of them: a chain of small ops creates and frees
/// millions of tensors, and each stored reference is a release in `deinit`.
final class TensorExtras {
  var hooks: [(Tensor) throws -> Tensor?] = []
  var tangents: [LevelTangent] = []
  var jets: [LevelSeries] = []
  var sparseRows: SparseRows?
  var batch: BatchedValue?
}

/// Whether `strides` are the dense row-major strides of `shape` (size-1 dimensions ignored).
@inline(__always)
func isRowMajor(_ shape: [Int], _ strides: [Int]) -> Bool {
  var expected = 1
  for i in stride(from: shape.count - 1, through: 0, by: -1) {
    if shape[i] != 1 && strides[i] != expected { return false }
    expected &*= shape[i]
  }
  return true
}

/// Whether `strides` equal `contiguousStrides(shape)` exactly (checked without allocating).
func hasExactContiguousStrides(_ shape: [Int], _ strides: [Int]) -> Bool {
  var expected = 1
  for i in stride(from: shape.count - 1, through: 0, by: -1) {
    if strides[i] != expected { return false }
    expected &*= Swift.max(shape[i], 1)
  }
  return true
}

/// Shared by every contiguous 1-D tensor (copy-on-write: no allocation per tensor).
private let unitStrides = [1]

public func contiguousStrides(_ shape: [Int]) -> [Int] {
  switch shape.count {
  case 0: return []
  case 1: return unitStrides
  case 2: return [Swift.max(shape[1], 1), 1]
  default:
    var strides = [Int](repeating: 1, count: shape.count)
    var acc = 1
    var i = shape.count - 1
    while i >= 0 {
      strides[i] = acc
      acc &*= Swift.max(shape[i], 1)
      i -= 1
    }
    return strides
  }
}

extension Tensor {
  /// The value of a one-element tensor as a Double.
  public func scalarValue() throws -> Double {
    guard count == 1 else {
      throw SGError.value("only a tensor with one element can be converted to a scalar; shape is \(describe(shape))")
    }
    // The converted copy must outlive the read: a raw pointer does not keep it alive.
    let dense = try converted(to: .float64).densified()
    return withExtendedLifetime(dense) { dense.pointer(Double.self)[0] }
  }

  /// All elements in row-major order, as Doubles.
  public func toArray() throws -> [Double] {
    let dense = try converted(to: .float64).densified()
    return Array(UnsafeBufferPointer(start: dense.pointer(Double.self), count: count))
  }
}

extension Tensor {
  /// A view of `storage` after checking that every element it can reach lies inside it.
  public convenience init(validating storage: Storage, shape: [Int], strides: [Int], offset: Int, dtype: DType) throws {
    guard shape.count == strides.count else { throw SGError.value("shape and strides differ in length") }
    try checkShape(shape, "tensor")
    let count = shape.reduce(1, *)
    if count > 0 {
      var low = offset
      var high = offset
      for (d, s) in zip(shape, strides) {
        if s < 0 { low += s * (d - 1) } else { high += s * (d - 1) }
      }
      guard low >= 0, (high + 1) * dtype.itemSize <= storage.byteCount else {
        throw SGError.value(
          "strides \(strides) with offset \(offset) reach outside a buffer of \(storage.byteCount) bytes")
      }
    }
    self.init(storage: storage, shape: shape, strides: strides, offset: offset, dtype: dtype)
  }

  /// Marks this tensor as a Python scalar operand (see `resultType`); such constants may be
  /// shared, so their memory becomes read-only.
  public func markWeaklyTyped() {
    isWeaklyTyped = true
    storage.isReadOnly = true
  }

  /// Throws unless in-place writes into this tensor are allowed.
  func checkWritable(_ op: String) throws {
    if isSparse {
      throw SGError.runtime(
        "\(op): cannot write in place into a row-sparse gradient of shape \(describe(shape)); "
          + "assign a new gradient (or None) instead, or write into to_dense()")
    }
    if storage.isReadOnly {
      throw SGError.value("\(op): assignment destination is read-only")
    }
    for (d, s) in zip(shape, strides) where s == 0 && d > 1 {
      throw SGError.value(
        "\(op): cannot write into a broadcast view (shape \(describe(shape)) repeats elements); copy it first")
    }
  }
}

extension Tensor {
  /// Records where the op that produced this tensor was created (anomaly detection).
  public func setOrigin(_ origin: String) { gradFn?.origin = origin }
}
