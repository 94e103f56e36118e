/// Searching sorted data and finding unique values: `searchsorted` (a primitive without a
/// derivative: its int64 result is piecewise constant in the values) and `uniqueAll`, whose
/// result sizes depend on the values (so graph mode refuses it and vmap cannot batch it).
/// NaNs sort last, as NumPy's sort puts them; each NaN is a unique value of its own (the array
/// API standard's rule).

/// `a < b` in NumPy's sort order: NaN after every number.
@inline(__always) func sortsBefore(_ a: Double, _ b: Double) -> Bool { a < b || (!a.isNaN && b.isNaN) }

/// Values as Double (exact for floats; integers beyond 2^53 compare by their rounded values).
func doubleValues(_ x: Tensor) throws -> [Double] {
  let d = try x.converted(to: .float64).densified()
  return withExtendedLifetime(d) { Array(UnsafeBufferPointer(start: d.pointer(Double.self), count: d.count)) }
}

/// Integer searchsorted compares int64 values exactly (doubles tie above 2^53).
extension SearchSorted {
  func searchIntegers(_ inputs: [Tensor]) throws -> Tensor {
    let sorted = try inputs[0].converted(to: .int64).densified()
    let values = try inputs[1].converted(to: .int64).densified()
    let out = try Tensor(uninitializedShape: values.shape, dtype: .int64)
    let (s, v, o) = (sorted.pointer(Int64.self), values.pointer(Int64.self), out.pointer(Int64.self))
    for i in 0..<values.count {
      var (low, high) = (0, sorted.count)
      while low < high {
        let mid = (low + high) / 2
        if right ? s[mid] <= v[i] : s[mid] < v[i] { low = mid + 1 } else { high = mid }
      }
      o[i] = Int64(low)
    }
    return withExtendedLifetime((sorted, values)) { out }
  }
}

/// For each value of x2, the insertion index into the sorted 1-D x1 ("left": before equal
/// entries, "right": after them).
public struct SearchSorted: Primitive {
  public static let name = "searchsorted"
  public static var isDifferentiable: Bool { false }
  public let right: Bool
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    if !inputs[0].dtype.isFloatingPoint && !inputs[1].dtype.isFloatingPoint { return try searchIntegers(inputs) }
    let sorted = try doubleValues(inputs[0])
    let values = try inputs[1].converted(to: .float64).densified()
    let out = try Tensor(uninitializedShape: values.shape, dtype: .int64)
    let (v, o) = (values.pointer(Double.self), out.pointer(Int64.self))
    for i in 0..<values.count {
      var (low, high) = (0, sorted.count)
      while low < high {
        let mid = (low + high) / 2
        let goRight = right ? !sortsBefore(v[i], sorted[mid]) : sortsBefore(sorted[mid], v[i])
        if goRight { low = mid + 1 } else { high = mid }
      }
      o[i] = Int64(low)
    }
    return withExtendedLifetime(values) { out }
  }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor) throws -> [Tensor?] { [nil, nil] }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? { nil }
  /// Batched values search the shared x1 at once; a batched x1 is searched example by example.
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    guard let sortedAxis = axes[0] else { return (try apply(self, inputs), axes[1]) }
    let size = Batching.size(inputs, axes)
    let sorted = try Batching.front(inputs[0], sortedAxis)
    let values = try Batching.materialized(inputs[1], axes[1], size: size)
    let rows = try (0..<size).map { b in
      try apply(self, [squeeze(sliceAxis(sorted, axis: 0, start: b, count: 1), axes: [0]),
                       squeeze(sliceAxis(values, axis: 0, start: b, count: 1), axes: [0])])
    }
    return (try stack(rows, axis: 0), 0)
  }
}

public func searchsorted(_ sorted: Tensor, _ values: Tensor, side: String = "left") throws -> Tensor {
  guard sorted.ndim == 1 else {
    throw SGError.value("searchsorted: x1 must be 1-D, got shape \(describe(sorted.shape))")
  }
  guard side == "left" || side == "right" else {
    throw SGError.value("searchsorted: side must be 'left' or 'right', got '\(side)'")
  }
  return try apply(SearchSorted(right: side == "right"), [sorted, values])
}

/// The sorted unique values of x (flattened), the flat index of each one's first occurrence,
/// for every element of x the index of its value (shape of x), and each value's count. The
/// values are `take(ravel(x), indices)`, so they carry x's gradient.
public func uniqueAll(_ x: Tensor) throws -> (values: Tensor, indices: Tensor, inverse: Tensor, counts: Tensor) {
  guard ProgramRecorder.current == nil else {
    throw SGError.runtime(
      "unique: the result's size depends on the values, so it cannot be part of a recorded graph (sg.compile / "
        + "sg.Graph); call it outside the compiled function")
  }
  try x.requireUnbatched()
  let order: [Int]
  let same: (Int, Int) -> Bool
  if x.dtype.isComplex {  // lexicographic by (real, imaginary), as NumPy sorts complex values
    let (re, im) = (try doubleValues(x.complexPart(0)), try doubleValues(x.complexPart(1)))
    func before(_ a: Int, _ b: Int) -> Bool {
      sortsBefore(re[a], re[b]) || (!sortsBefore(re[b], re[a]) && sortsBefore(im[a], im[b]))
    }
    order = (0..<re.count).sorted { before($0, $1) || (!before($1, $0) && $0 < $1) }
    same = { re[$0] == re[$1] && im[$0] == im[$1] }
  } else if x.dtype.isFloatingPoint {
    let v = try doubleValues(x)
    order = (0..<v.count).sorted { sortsBefore(v[$0], v[$1]) || (!sortsBefore(v[$1], v[$0]) && $0 < $1) }
    same = { v[$0] == v[$1] }
  } else {
    let d = try x.orderKey().densified()  // uint64 by its value, not its int64 bit pattern
    let v = withExtendedLifetime(d) { Array(UnsafeBufferPointer(start: d.pointer(Int64.self), count: d.count)) }
    order = (0..<v.count).sorted { v[$0] < v[$1] || (v[$0] == v[$1] && $0 < $1) }
    same = { v[$0] == v[$1] }
  }
  var (first, counts) = ([Int](), [Int]())
  var inverse = [Int](repeating: 0, count: order.count)
  for (k, i) in order.enumerated() {
    if k == 0 || !same(order[k - 1], i) {
      first.append(i)
      counts.append(0)
    }
    counts[counts.count - 1] += 1
    inverse[i] = first.count - 1
  }
  let indices = try int64Tensor(first, shape: [first.count])
  return (try take(ravel(x), indices), indices, try int64Tensor(inverse, shape: x.shape),
          try int64Tensor(counts, shape: [counts.count]))
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let searching: [Operation] = [
    Operation("searchsorted", "x1, x2, *, side: str = 'left'",
              "Insertion indices of x2 into the sorted 1-D x1 (int64).", differentiable: false) {
      [try searchsorted($0.tensor(0), $0.tensor(1), side: $0.string(2))]
    },
    Operation("_unique_all", "x", "Sorted unique values, first indices, inverse indices and counts.",
              namespace: .hidden, result: .tuple) {
      let found = try uniqueAll($0.tensor(0))
      return [found.values, found.indices, found.inverse, found.counts]
    },
  ]
}
