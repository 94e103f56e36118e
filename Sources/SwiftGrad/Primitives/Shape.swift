/// Shape primitives: all linear, all views where the strides allow (no copy).

/// Normalises a possibly negative axis, naming the op in the error.
func normalizeAxis(_ axis: Int, ndim: Int, op: String) throws -> Int {
  let a = axis < 0 ? axis + ndim : axis
  guard a >= 0 && a < Swift.max(ndim, 0) else {
    throw SGError.axis("\(op): axis \(axis) is out of bounds for array of dimension \(ndim)")
  }
  return a
}

public struct Reshape: LinearPrimitive {
  public static let name = "reshape"
  public let shape: [Int]
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    return try x.reshapedView(shape) ?? x.cloned().reshapedView(shape)!
  }
  public func transpose(_ g: Tensor, input: Tensor) throws -> Tensor { try reshape(g, input.shape) }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) { try reshape($0, [$0.shape[0]] + shape) }
  }
}

public struct Transpose: LinearPrimitive {
  public static let name = "transpose"
  public let permutation: [Int]
  public func forward(_ inputs: [Tensor]) throws -> Tensor { inputs[0].permutedView(permutation) }
  public func transpose(_ g: Tensor, input: Tensor) throws -> Tensor {
    var inverse = [Int](repeating: 0, count: permutation.count)
    for (i, p) in permutation.enumerated() { inverse[p] = i }
    return try SwiftGrad.transpose(g, inverse)
  }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) { try SwiftGrad.transpose($0, [0] + permutation.map { $0 + 1 }) }
  }
}

public struct BroadcastTo: LinearPrimitive {
  public static let name = "broadcast_to"
  public let shape: [Int]
  public func forward(_ inputs: [Tensor]) throws -> Tensor { inputs[0].broadcastView(to: shape) }
  public func transpose(_ g: Tensor, input: Tensor) throws -> Tensor { try unbroadcast(g, to: input.shape) }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    let x = try Batching.padded(Batching.front(inputs[0], axes[0]), toRank: shape.count)
    return (try broadcastTo(x, [x.shape[0]] + shape), 0)
  }
}

/// Element type conversion; linear for floating-point inputs.
public struct Cast: LinearPrimitive {
  public static let name = "cast"
  public let dtype: DType
  public func forward(_ inputs: [Tensor]) throws -> Tensor { try copyKernel(inputs[0], to: dtype) }
  public func transpose(_ g: Tensor, input: Tensor) throws -> Tensor { try cast(g, to: input.dtype) }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) { (try apply(self, inputs), axes[0]) }
}

/// A contiguous copy; the identity as far as calculus goes.
public struct Copy: LinearPrimitive {
  public static let name = "copy"
  public func forward(_ inputs: [Tensor]) throws -> Tensor { try inputs[0].cloned() }
  public func transpose(_ g: Tensor, input: Tensor) throws -> Tensor { g }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) { (try apply(self, inputs), axes[0]) }
}

/// Joins tensors along an existing axis. Linear in every input.
public struct Concatenate: Primitive {
  public static let name = "concatenate"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try linearTaylor(self, inputs, output: y, series: series)  // linear in its float inputs
  }
  public let axis: Int
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    var shape = inputs[0].shape
    shape[axis] = inputs.reduce(0) { $0 + $1.shape[axis] }
    let dtype = inputs.dropFirst().reduce(inputs[0].dtype) { DType.promote($0, $1.dtype) }
    let out = try Tensor(uninitializedShape: shape, dtype: dtype)
    var start = 0
    for x in inputs {
      copyInto(out.slicedView(axis: axis, start: start, count: x.shape[axis]), from: x)
      start += x.shape[axis]
    }
    return out
  }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    var start = 0
    return try inputs.map { x in
      defer { start += x.shape[axis] }
      return x.requiresGrad ? try sliceAxis(g, axis: axis, start: start, count: x.shape[axis]) : nil
    }
  }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    guard tangents.contains(where: { $0 != nil }) else { return nil }
    let parts = try zip(inputs, tangents).map { x, t in try t ?? zeros(x.shape, dtype: output.dtype) }
    return try apply(self, parts)
  }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    let size = Batching.size(inputs, axes)
    let parts = try zip(inputs, axes).map { try Batching.materialized($0, $1, size: size) }
    return (try apply(Concatenate(axis: axis + 1), parts), 0)
  }
}

extension Tensor {
  func slicedView(axis: Int, start: Int, count: Int) -> Tensor {
    var shape = self.shape
    shape[axis] = count
    return Tensor(storage: storage, shape: shape, strides: strides, offset: offset + start * strides[axis],
      dtype: dtype)
  }
}

// MARK: Public shape functions

public func reshape(_ x: Tensor, _ shape: [Int]) throws -> Tensor {
  var shape = shape
  let inferred = shape.indices.filter { shape[$0] == -1 }
  guard inferred.count <= 1, !shape.contains(where: { $0 < -1 }) else {
    throw SGError.value("reshape: invalid target shape \(describe(shape))")
  }
  if let i = inferred.first {
    var others = shape
    others.remove(at: i)
    let known = try checkedElementCount(others, "reshape")
    guard known != 0, x.count % known == 0 else {
      throw SGError.value("cannot reshape array of size \(x.count) into shape \(describe(shape))")
    }
    shape[i] = x.count / known
  }
  guard try checkedElementCount(shape, "reshape") == x.count else {
    throw SGError.value("cannot reshape array of size \(x.count) into shape \(describe(shape))")
  }
  if shape == x.shape { return x }
  return try apply(Reshape(shape: shape), [x])
}

/// Permutes dimensions; no permutation reverses them (NumPy's `transpose`).
public func transpose(_ x: Tensor, _ permutation: [Int]? = nil) throws -> Tensor {
  let perm = try (permutation ?? Array((0..<x.ndim).reversed())).map {
    try normalizeAxis($0, ndim: x.ndim, op: "transpose")
  }
  guard perm.count == x.ndim, Set(perm).count == x.ndim else {
    throw SGError.value("transpose: axes \(permutation ?? []) don't match array of shape \(describe(x.shape))")
  }
  if perm == Array(0..<x.ndim) { return x }
  return try apply(Transpose(permutation: perm), [x])
}

/// Swaps the last two dimensions (the matrix transpose of a batch).
public func matrixTranspose(_ x: Tensor) throws -> Tensor {
  guard x.ndim >= 2 else { return x }
  var perm = Array(0..<x.ndim)
  perm.swapAt(x.ndim - 1, x.ndim - 2)
  return try transpose(x, perm)
}

public func broadcastTo(_ x: Tensor, _ shape: [Int]) throws -> Tensor {
  guard shape.count >= x.ndim, !shape.contains(where: { $0 < 0 }),
    (try? broadcastShapes(x.shape, shape)) == shape
  else {
    throw SGError.value("cannot broadcast an array of shape \(describe(x.shape)) to shape \(describe(shape))")
  }
  if shape == x.shape { return x }
  return try apply(BroadcastTo(shape: shape), [x])
}

/// Sums `g` over the dimensions that broadcasting added or stretched, giving `shape`.
public func unbroadcast(_ g: Tensor, to shape: [Int]) throws -> Tensor {
  if g.shape == shape { return g }
  let lead = g.ndim - shape.count
  // Leading axes of size 1 need no sum, only the reshape (a per-sample weight gradient under vmap
  // has one: the batch of one image).
  var axes = (0..<Swift.max(lead, 0)).filter { g.shape[$0] != 1 }
  for i in 0..<shape.count where shape[i] == 1 && g.shape[lead + i] != 1 { axes.append(lead + i) }
  let summed = axes.isEmpty ? g : try sum(g, axes: axes, keepDims: true)
  return try reshape(summed, shape)
}

public func expandDims(_ x: Tensor, axis: Int) throws -> Tensor {
  let a = try normalizeAxis(axis, ndim: x.ndim + 1, op: "expand_dims")
  var shape = x.shape
  shape.insert(1, at: a)
  return try reshape(x, shape)
}

/// Removes the given size-1 axes (all of them when `axes` is nil).
public func squeeze(_ x: Tensor, axes: [Int]? = nil) throws -> Tensor {
  let drop = try axes.map { try $0.map { try normalizeAxis($0, ndim: x.ndim, op: "squeeze") } }
    ?? x.shape.indices.filter { x.shape[$0] == 1 }
  for a in drop where x.shape[a] != 1 {
    throw SGError.value(
      "cannot select an axis to squeeze out which has size not equal to one (axis \(a) of shape \(describe(x.shape)))")
  }
  return try reshape(x, x.shape.indices.filter { !drop.contains($0) }.map { x.shape[$0] })
}

public func cast(_ x: Tensor, to dtype: DType) throws -> Tensor {
  if x.dtype == dtype { return x }
  return try apply(Cast(dtype: dtype), [x])
}

/// A contiguous tensor with the same values (recorded, so gradients flow through).
public func contiguous(_ x: Tensor) throws -> Tensor { x.isContiguous ? x : try copy(x) }
extension Tensor {
  public func contiguous() throws -> Tensor { try SwiftGrad.contiguous(self) }
}

/// A fresh copy with its own storage (recorded, so gradients flow through).
public func copy(_ x: Tensor) throws -> Tensor { try apply(Copy(), [x]) }

public func concatenate(_ xs: [Tensor], axis: Int = 0) throws -> Tensor {
  guard let first = xs.first else { throw SGError.value("need at least one array to concatenate") }
  guard first.ndim > 0 else { throw SGError.value("zero-dimensional arrays cannot be concatenated") }
  let a = try normalizeAxis(axis, ndim: first.ndim, op: "concatenate")
  for (i, x) in xs.enumerated() {
    var expected = first.shape
    expected[a] = x.ndim == first.ndim ? x.shape[a] : -1
    guard x.shape == expected else {
      throw SGError.value(
        "concatenate: all the input array dimensions except for the concatenation axis must match "
          + "exactly, but array 0 has shape \(describe(first.shape)) and array \(i) has shape \(describe(x.shape))")
    }
  }
  if xs.count == 1 { return xs[0] }
  return try apply(Concatenate(axis: a), xs)
}

public func stack(_ xs: [Tensor], axis: Int = 0) throws -> Tensor {
  guard let first = xs.first else { throw SGError.value("need at least one array to stack") }
  for (i, x) in xs.enumerated() where x.shape != first.shape {
    throw SGError.value(
      "all input arrays must have the same shape: array 0 has shape \(describe(first.shape)) and array \(i) has " +
      "shape \(describe(x.shape))")
  }
  let a = try normalizeAxis(axis, ndim: first.ndim + 1, op: "stack")
  return try concatenate(xs.map { try expandDims($0, axis: a) }, axis: a)
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let shapes: [Operation] = [
    Operation("reshape", "a, shape|newshape: *ints", "Same elements, new shape (-1 inferred); a view when possible.",
              method: "reshape") { [try reshape($0.tensor(0), $0.ints(1))] },
    Operation("broadcast_to", "array, shape: *ints", "A broadcast view.") {
      [try broadcastTo($0.tensor(0), $0.ints(1))]
    },
    Operation("transpose", "a, axes: *ints = None", "Dimensions permuted by axes (reversed by default); a view.",
              method: "transpose") { [try transpose($0.tensor(0), $0.optionalInts(1))] },
    Operation("squeeze", "a, axis: ints? = None", "Size-1 dimensions removed (all, or those named by axis); a view.",
              method: "squeeze") { [try squeeze($0.tensor(0), axes: $0.optionalInts(1))] },
    Operation("expand_dims", "a, axis: int", "A size-1 dimension inserted at axis; a view.") {
      [try expandDims($0.tensor(0), axis: $0.int(1))]
    },
    Operation("concatenate", "arrays: tensors, axis: int = 0", "Arrays joined along an existing axis.") {
      [try concatenate($0.tensors(0), axis: $0.int(1))]
    },
    Operation("stack", "arrays: tensors, axis: int = 0", "Arrays joined along a new axis.") {
      [try stack($0.tensors(0), axis: $0.int(1))]
    },
    Operation("cast", "x, dtype: int", "x converted to the dtype code (differentiable between floats).",
              namespace: .hidden) { [try cast($0.tensor(0), to: $0.dtype(1))] },
    .unary("copy", "A contiguous copy with its own storage (differentiable).", copy),
  ]
}
