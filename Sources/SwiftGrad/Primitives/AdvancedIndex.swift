/// NumPy advanced indexing: integer arrays and boolean masks, mixed with ints, slices, None and
/// Ellipsis.
///
/// Note [Advanced indexing as take]: `x[items]` is rewritten into primitives that already have
/// their rules: basic indexing for the non-array items (array positions kept whole), a
/// transpose that brings the indexed dimensions together, a reshape that merges them, and one
/// `Take` with the row-major linear index of the broadcast index arrays. Gradients (a
/// scatter-add, so repeated indices accumulate) and tangents follow to any order. NumPy's
/// placement rule: when the advanced indices (integer scalars count as advanced once an array is
/// present) are adjacent, the broadcast index dimensions replace them in place; otherwise they
/// come first. A boolean mask stands for the integer arrays of its `nonzero()`.

public enum AdvancedIndexItem {
  case basic(IndexItem)
  case array(Tensor)
}

struct AdvancedIndexPlan {
  var basic: [IndexItem] = []
  /// Dimensions of the basic-indexed tensor that the index arrays address, in order.
  var positions: [Int] = []
  var sizes: [Int] = []
  /// Row-major linear index into the merged indexed dimensions, shaped like the broadcast arrays.
  let linear: Tensor
  var adjacent = true

  init(shape: [Int], items: [AdvancedIndexItem]) throws {
    var expanded: [AdvancedIndexItem] = []
    var consumed = 0
    var ellipses = 0
    for item in items {
      switch item {
      case .basic(.index(let i)): expanded.append(.array(try Tensor.int64Scalar(i))); consumed += 1
      case .basic(.slice): expanded.append(item); consumed += 1
      case .basic(.newAxis): expanded.append(item)
      case .basic(.ellipsis): expanded.append(item); ellipses += 1
      case .array(let t):
        switch t.dtype {
        case let d where d.isInteger:
          consumed += 1
          expanded.append(.array(try asIndex(t)))
          continue
        case .bool:
          // A mask's nonzero() decides the result's shape: it cannot vary between replays.
          try ProgramRecorder.current?.requireConstant(t, what: "a boolean index")
          consumed += t.ndim  // a 0-d mask consumes no dimension: it inserts one (below)
        default:
          throw SGError.index("arrays used as indices must be of integer (or boolean) type, got \(t.dtype)")
        }
        expanded.append(item)
      }
    }
    guard ellipses <= 1 else { throw SGError.index("an index can only have a single ellipsis ('...')") }
    guard consumed <= shape.count else {
      throw SGError.index(
        "too many indices for array: array is \(shape.count)-dimensional, but \(consumed) were indexed")
    }
    let fill = Array(repeating: AdvancedIndexItem.basic(.slice(start: nil, stop: nil, step: nil)),
      count: shape.count - consumed)
    if let e = expanded.firstIndex(where: { if case .basic(.ellipsis) = $0 { return true } else { return false } }) {
      expanded.replaceSubrange(e...e, with: fill)
    } else {
      expanded += fill
    }
    var arrays: [Tensor] = []
    var dim = 0
    for item in expanded {
      switch item {
      case .basic(let b):
        basic.append(b)
        if b != .newAxis { dim += 1 }
      case .array(let t) where t.dtype == .bool && t.ndim == 0:
        // NumPy: x[True] is x[None] indexed by the array [0] on the new axis, x[False] by [];
        // the index array broadcasts with the others like any advanced index.
        let picked = try Tensor(uninitializedShape: [t.scalarValue() != 0 ? 1 : 0], dtype: .int64)
        if picked.count == 1 { picked.pointer(Int64.self)[0] = 0 }
        arrays.append(picked)
        positions.append(basic.count)
        sizes.append(1)
        basic.append(.newAxis)
      case .array(let t) where t.dtype == .bool:
        let covered = Array(shape[dim..<(dim + t.ndim)])
        // NumPy lets a mask axis of length 0 stand against any length (it selects nothing).
        guard t.shape.count == covered.count, zip(t.shape, covered).allSatisfy({ $0 == $1 || $0 == 0 }) else {
          throw SGError.index(
            "boolean index of shape \(describe(t.shape)) does not match the indexed dimensions \(describe(covered)) "
              + "starting at axis \(dim)")
        }
        for (k, column) in try nonzeroColumns(t).enumerated() {
          arrays.append(column)
          positions.append(basic.count)
          sizes.append(shape[dim + k])
          basic.append(.slice(start: nil, stop: nil, step: nil))
        }
        dim += t.ndim
      case .array(let t):
        arrays.append(t)
        positions.append(basic.count)
        sizes.append(shape[dim])
        basic.append(.slice(start: nil, stop: nil, step: nil))
        dim += 1
      }
    }
    // Positions in the basic-indexed tensor: every basic item keeps or inserts one dimension,
    // since scalar ints became arrays.
    adjacent = zip(positions, positions.dropFirst()).allSatisfy { $1 == $0 + 1 }
    var broadcast: [Int] = []
    for t in arrays {
      guard let b = try? broadcastShapes(broadcast, t.shape) else {
        throw SGError.index(
          "shape mismatch: indexing arrays could not be broadcast together with shapes "
            + arrays.map { describe($0.shape) }.joined(separator: " "))
      }
      broadcast = b
    }
    // The row-major linear index, with recorded integer operations (checked per axis at run
    // time by NormalizeIndex) so index arrays may be computed by the program.
    var linear: Tensor?
    var stride = 1
    for (t, (size, position)) in zip(arrays, zip(sizes, positions)).reversed() {
      let normalized = try apply(NormalizeIndex(size: size, axis: position), [broadcastTo(t, broadcast)])
      let term = stride == 1 ? normalized : try mul(normalized, integerScalar(stride))
      linear = try linear.map { try add($0, term) } ?? term
      stride *= size
    }
    self.linear = try linear ?? Tensor.int64Scalar(0)
  }

  /// The indexed values (differentiable): basic view, gather, dimension placement.
  func gather(_ x: Tensor) throws -> Tensor {
    let y = try index(x, basic)
    let others = (0..<y.ndim).filter { !positions.contains($0) }
    let merged = try reshape(transpose(y, positions + others), [sizes.reduce(1, *)] + others.map { y.shape[$0] })
    let taken = try apply(DynamicTake(axis: 0), [merged, linear])
    guard adjacent, let first = positions.first, first > 0 else { return taken }
    // The broadcast dimensions go where the (adjacent) indexed dimensions were.
    let b = linear.ndim
    let rest = Array(b..<taken.ndim)
    return try transpose(taken, Array(rest[..<first]) + Array(0..<b) + Array(rest[first...]))
  }
}

/// The integer arrays (one per dimension) of the true entries of a boolean mask, row-major.
private func nonzeroColumns(_ mask: Tensor) throws -> [Tensor] {
  let dense = try mask.densified()
  defer { withExtendedLifetime(dense) {} }
  let p = dense.pointer(Bool.self)
  let count = (0..<dense.count).reduce(0) { $0 + (p[$1] ? 1 : 0) }
  let columns = try (0..<mask.ndim).map { _ in try Tensor(uninitializedShape: [count], dtype: .int64) }
  let strides = contiguousStrides(mask.shape)
  var k = 0
  for i in 0..<dense.count where p[i] {
    var rest = i
    for (d, column) in columns.enumerated() {
      column.pointer(Int64.self)[k] = Int64(rest / strides[d])
      rest %= strides[d]
    }
    k += 1
  }
  return columns
}

extension Tensor {
  static func int64Scalar(_ v: Int) throws -> Tensor {
    let t = try Tensor(uninitializedShape: [], dtype: .int64)
    t.pointer(Int64.self)[0] = Int64(v)
    return t
  }
}

/// `x[items]` with NumPy's basic and advanced indexing.
public func index(_ x: Tensor, _ items: [AdvancedIndexItem]) throws -> Tensor {
  let basicItems = items.compactMap { if case .basic(let b) = $0 { return b } else { return nil } }
  if basicItems.count == items.count { return try index(x, basicItems) }
  return try AdvancedIndexPlan(shape: x.shape, items: items).gather(x)
}

/// The row-major element numbers of `x` that `x[items]` selects, shaped like the result.
func selectedElements(_ shape: [Int], _ items: [AdvancedIndexItem]) throws -> Tensor {
  let numbers = try Tensor(uninitializedShape: shape, dtype: .int64)
  let p = numbers.pointer(Int64.self)
  for i in 0..<numbers.count { p[i] = Int64(i) }
  return try withoutGrad { try index(numbers, items) }.densified()
}

/// `out = x` with the elements numbered `elements` (row-major in x) replaced by `values`
/// (shaped like `elements`); a later repeat of an element wins, as in NumPy. Linear in (x,
/// values) jointly, so its JVP is itself; its VJP sends the cotangent of each overwritten
/// element to the value that won it.
public struct IndexSet: Primitive {
  public static let name = "index_set"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try linearTaylor(self, inputs, output: y, series: series)  // linear in its float inputs
  }
  public static var readsValues: Bool { false }
  public let elements: Tensor  // int64, valid, shaped like the values
  /// 1 where x's element survives; 1 where a value is the last write to its element.
  let keep: Tensor
  let winners: Tensor

  init(elements: Tensor, shape: [Int], dtype: DType) throws {
    self.elements = elements
    let count = shape.reduce(1, *)
    let keep = try Tensor(uninitializedShape: shape, dtype: dtype.computeDType)
    let winners = try Tensor(uninitializedShape: elements.shape, dtype: dtype.computeDType)
    let e = elements.pointer(Int64.self)
    var last = [Int](repeating: -1, count: count)
    for j in 0..<elements.count { last[Int(e[j])] = j }
    func fill<T: FloatElement>(_: T.Type) {
      for i in 0..<count { keep.pointer(T.self)[i] = last[i] < 0 ? 1 : 0 }
      for j in 0..<elements.count { winners.pointer(T.self)[j] = last[Int(e[j])] == j ? 1 : 0 }
    }
    if dtype.computeDType == .float32 { fill(Float.self) } else { fill(Double.self) }
    self.keep = try keep.converted(to: dtype)
    self.winners = try winners.converted(to: dtype)
  }

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let out = try inputs[0].cloned()
    try scatterElements(into: out, elements, inputs[1])
    return out
  }

  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    [
      inputs[0].requiresGrad ? try mul(g, keep) : nil,
      inputs[1].requiresGrad ? try mul(apply(Take(indices: elements, axis: 0), [reshape(g, [-1])]), winners) : nil,
    ]
  }

  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    guard tangents[0] != nil || tangents[1] != nil else { return nil }
    let tx = try tangents[0] ?? zeros(inputs[0].shape, dtype: inputs[0].dtype)
    let tv = try tangents[1] ?? zeros(inputs[1].shape, dtype: inputs[1].dtype)
    return try apply(self, [tx, tv])
  }

  /// Every example is written at its own element numbers: b * count + elements.
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    let size = Batching.size(inputs, axes)
    let x = try Batching.materialized(inputs[0], axes[0], size: size)
    let values = try Batching.materialized(inputs[1], axes[1], size: size)
    let perExample = x.count / Swift.max(size, 1)
    let offsets = try Batching.exampleOffsets(size, step: perExample, rank: elements.ndim + 1)
    let numbers = try add(expandDims(elements, axis: 0), offsets)
    let batched = try IndexSet(elements: numbers.densified(), shape: x.shape, dtype: inputs[0].dtype)
    return (try apply(batched, [x, values]), 0)
  }
}

/// Writes `values` (same dtype as `target`, shaped like `elements`) into `target`'s memory at
/// the row-major element numbers `elements`, in order.
func scatterElements(into target: Tensor, _ elements: Tensor, _ values: Tensor) throws {
  let v = try values.densified()
  defer { withExtendedLifetime(v) {} }
  let e = elements.pointer(Int64.self)
  let strides = contiguousStrides(target.shape)
  let bytes = target.dtype.itemSize
  for j in 0..<elements.count {
    var rest = Int(e[j])
    var offset = 0
    for d in 0..<target.ndim {
      offset += (rest / strides[d]) * target.strides[d]
      rest %= strides[d]
    }
    (target.baseAddress + offset * bytes).copyMemory(from: v.baseAddress + j * bytes, byteCount: bytes)
  }
}
