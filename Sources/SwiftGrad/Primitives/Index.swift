/// Basic indexing (ints, slices, None, Ellipsis): a strided view, linear, with an "embed"
/// (scatter into zeros) as its transpose.

/// One entry of an index expression, as Python spells it.
public enum IndexItem: Equatable, Sendable {
  case index(Int)
  case slice(start: Int?, stop: Int?, step: Int?)
  case newAxis
  case ellipsis
}

/// An index expression resolved against a shape: each input dimension is either picked
/// (`.index`) or walked (`.range`), and `.newAxis` inserts a size-1 dimension.
public enum ResolvedIndex: Equatable, Sendable {
  case index(Int)
  case range(start: Int, step: Int, count: Int)
  case newAxis
}

func resolveIndex(_ items: [IndexItem], shape: [Int]) throws -> [ResolvedIndex] {
  let ellipses = items.filter { $0 == .ellipsis }.count
  guard ellipses <= 1 else { throw SGError.index("an index can only have a single ellipsis ('...')") }
  let consumed = items.filter {
    if case .index = $0 { return true }; if case .slice = $0 { return true }; return false
  }.count
  guard consumed <= shape.count else {
    throw SGError.index("too many indices for array: array is \(shape.count)-dimensional, but \(consumed) were indexed")
  }
  var expanded: [IndexItem] = []
  for item in items {
    if item == .ellipsis {
      expanded += Array(repeating: .slice(start: nil, stop: nil, step: nil), count: shape.count - consumed)
    } else {
      expanded.append(item)
    }
  }
  if ellipses == 0 {
    expanded += Array(repeating: .slice(start: nil, stop: nil, step: nil), count: shape.count - consumed)
  }
  var dim = 0
  var resolved: [ResolvedIndex] = []
  for item in expanded {
    switch item {
    case .newAxis:
      resolved.append(.newAxis)
    case .index(let i):
      let size = shape[dim]
      guard i >= -size && i < size else {
        throw SGError.index("index \(i) is out of bounds for axis \(dim) with size \(size)")
      }
      resolved.append(.index(i < 0 ? i + size : i))
      dim += 1
    case .slice(let start, let stop, let step):
      resolved.append(try resolveSlice(start, stop, step, size: shape[dim]))
      dim += 1
    case .ellipsis:
      break
    }
  }
  return resolved
}

/// Python's `slice.indices` followed by the element count.
func resolveSlice(_ start: Int?, _ stop: Int?, _ step: Int?, size: Int) throws -> ResolvedIndex {
  let step = step ?? 1
  guard step != 0 else { throw SGError.value("slice step cannot be zero") }
  let (lower, upper) = step > 0 ? (0, size) : (-1, size - 1)
  func clamp(_ v: Int?, _ dflt: Int) -> Int {
    guard let v else { return dflt }
    return v < 0 ? Swift.max(v &+ size, lower) : Swift.min(v, upper)
  }
  let s = clamp(start, step > 0 ? lower : upper)
  let e = clamp(stop, step > 0 ? upper : lower)
  // s and e lie in [-1, size], so their differences cannot overflow; |step| may be 2**63.
  let stride = Int(bitPattern: step.magnitude == UInt(1) << 63 ? UInt(Int.max) : step.magnitude)
  let count = step > 0 ? (e > s ? (e - s - 1) / stride + 1 : 0) : (s > e ? (s - e - 1) / stride + 1 : 0)
  // With at most one element the step is never applied: keep it small so that the view's
  // stride (step * stride of the dimension) cannot overflow (Note [Checked size arithmetic]).
  return .range(start: count == 0 ? 0 : s, step: count <= 1 ? (step > 0 ? 1 : -1) : step, count: count)
}

extension Tensor {
  func indexedView(_ items: [ResolvedIndex]) -> Tensor {
    var newShape: [Int] = []
    var newStrides: [Int] = []
    var newOffset = offset
    var dim = 0
    for item in items {
      switch item {
      case .newAxis:
        newShape.append(1)
        newStrides.append(0)
      case .index(let i):
        newOffset += i * strides[dim]
        dim += 1
      case .range(let start, let step, let count):
        newOffset += start * strides[dim]
        newShape.append(count)
        newStrides.append(step * strides[dim])
        dim += 1
      }
    }
    return Tensor(storage: storage, shape: newShape, strides: newStrides, offset: newOffset, dtype: dtype)
  }
}

public struct BasicIndex: LinearPrimitive {
  public static let name = "index"
  public let items: [ResolvedIndex]
  public func forward(_ inputs: [Tensor]) throws -> Tensor { inputs[0].indexedView(items) }
  public func transpose(_ g: Tensor, input: Tensor) throws -> Tensor {
    try apply(IndexEmbed(items: items, shape: input.shape), [g])
  }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) {
      try apply(BasicIndex(items: [.range(start: 0, step: 1, count: $0.shape[0])] + items), [$0])
    }
  }
}

/// Zeros of `shape` with the indexed region set to the input: the transpose of `BasicIndex`.
public struct IndexEmbed: LinearPrimitive {
  public static let name = "index_backward"
  public let items: [ResolvedIndex]
  public let shape: [Int]
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let out = try zerosKernel(shape, dtype: inputs[0].dtype)
    copyInto(out.indexedView(items), from: inputs[0])
    return out
  }
  public func transpose(_ g: Tensor, input: Tensor) throws -> Tensor {
    try apply(BasicIndex(items: items), [g])
  }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try Batching.shifted(inputs[0], axes[0]) {
      let size = $0.shape[0]
      return try apply(IndexEmbed(items: [.range(start: 0, step: 1, count: size)] + items, shape: [size] + shape), [$0])
    }
  }
}

/// `x[items]` with NumPy's basic-indexing rules; a view, no copy.
public func index(_ x: Tensor, _ items: [IndexItem]) throws -> Tensor {
  try apply(BasicIndex(items: resolveIndex(items, shape: x.shape)), [x])
}

/// `x[start:start+count]` along one axis.
public func sliceAxis(_ x: Tensor, axis: Int, start: Int, count: Int) throws -> Tensor {
  var items = [ResolvedIndex](repeating: .range(start: 0, step: 1, count: 0), count: x.ndim)
  for d in 0..<x.ndim { items[d] = .range(start: 0, step: 1, count: x.shape[d]) }
  items[axis] = .range(start: start, step: 1, count: count)
  return try apply(BasicIndex(items: items), [x])
}

/// `base` with the indexed region replaced by `value` (broadcast): the recorded form of
/// `x[items] = value`. Linear in both inputs.
public struct IndexPut: Primitive {
  public static let name = "index_put"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try linearTaylor(self, inputs, output: y, series: series)  // linear in its float inputs
  }
  public static var readsValues: Bool { false }
  public let items: [ResolvedIndex]
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let out = try inputs[0].cloned()
    copyInto(out.indexedView(items), from: inputs[1])
    return out
  }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    [
      inputs[0].requiresGrad ? try apply(self, [g, full([], 0, dtype: g.dtype)]) : nil,
      inputs[1].requiresGrad ? try unbroadcast(apply(BasicIndex(items: items), [g]), to: inputs[1].shape) : nil,
    ]
  }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents t: [Tensor?]) throws -> Tensor? {
    guard t[0] != nil || t[1] != nil else { return nil }
    let base = try t[0] ?? zeros(inputs[0].shape, dtype: output.dtype)
    return try apply(self, [base, t[1] ?? full([], 0, dtype: output.dtype)])
  }
  /// The base gets every example; the value is aligned with the indexed region's rank.
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    let size = Batching.size(inputs, axes)
    let base = try Batching.materialized(inputs[0], axes[0], size: size)
    let regionRank = items.filter { if case .index = $0 { return false } else { return true } }.count
    let value = axes[1] == nil ? inputs[1] : try Batching.padded(Batching.front(inputs[1], axes[1]), toRank: regionRank)
    return (try apply(IndexPut(items: [.range(start: 0, step: 1, count: size)] + items), [base, value]), 0)
  }
}
