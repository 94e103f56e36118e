/// Gathers whose indices are an *input* rather than an attribute: `take`, `take_along_axis` and
/// integer-array indexing. Indices computed by the program (argsort, labels fed to a loss) are
/// then part of the graph, so a recorded graph (graph mode) recomputes them on every run instead
/// of replaying the values seen while recording. Linear in the data; indices get no gradient.

/// Range-checks integer indices for an axis of `size` and wraps negatives (NumPy's rule), at run
/// time, so a replayed graph raises IndexError exactly as eager code does.
public struct NormalizeIndex: Primitive {
  public static let name = "normalize_index"
  public static var isDifferentiable: Bool { false }
  public let size: Int
  public let axis: Int

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let raw = inputs[0].converted(to: .int64).densified()
    let out = Tensor(uninitializedShape: raw.shape, dtype: .int64)
    let (src, dst) = (raw.pointer(Int64.self), out.pointer(Int64.self))
    for i in 0..<raw.count {
      let v = src[i]
      guard v >= -Int64(size) && v < Int64(size) else {
        throw SGError.index("index \(v) is out of bounds for axis \(axis) with size \(size)")
      }
      dst[i] = v < 0 ? v + Int64(size) : v
    }
    return withExtendedLifetime(raw) { out }
  }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor) throws -> [Tensor?] { [nil] }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? { nil }
}

/// `x` gathered along `axis` at `indices` (input 1: int64, already normalised): output shape
/// x.shape[..<axis] + indices.shape + x.shape[(axis+1)...].
public struct DynamicTake: Primitive {
  public static let name = "take"
  public let axis: Int
  public func readsInput(_ index: Int, of inputs: [Tensor]) -> Bool { index == 1 }

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    try checkIndices(inputs[1], size: inputs[0].shape[axis], axis: axis)
    return try Take(indices: inputs[1].densified(), axis: axis).forward([inputs[0]])
  }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    [try apply(DynamicScatterAdd(axis: axis, size: inputs[0].shape[axis]), [g, inputs[1]]), nil]
  }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    try tangents[0].map { try apply(self, [$0, inputs[1]]) }
  }
}

/// The transpose of `DynamicTake`: zeros with `size` entries along `axis`, plus the input's
/// slices added at the indices (repeated indices accumulate).
public struct DynamicScatterAdd: Primitive {
  public static let name = "scatter_add"
  public let axis: Int
  public let size: Int
  public func readsInput(_ index: Int, of inputs: [Tensor]) -> Bool { index == 1 }

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    try checkIndices(inputs[1], size: size, axis: axis)
    return try ScatterAdd(indices: inputs[1].densified(), axis: axis, size: size).forward([inputs[0]])
  }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    [try apply(DynamicTake(axis: axis), [g, inputs[1]]), nil]
  }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    try tangents[0].map { try apply(self, [$0, inputs[1]]) }
  }
}

/// The kernels trust their indices: int64 and within 0..<size.
private func checkIndices(_ indices: Tensor, size: Int, axis: Int) throws {
  guard indices.dtype == .int64 else { throw SGError.index("indices must be integers, got \(indices.dtype)") }
  let dense = indices.densified()
  let p = dense.pointer(Int64.self)
  for i in 0..<dense.count where p[i] < 0 || p[i] >= Int64(size) {
    throw SGError.index("index \(p[i]) is out of bounds for axis \(axis) with size \(size)")
  }
  withExtendedLifetime(dense) {}
}
