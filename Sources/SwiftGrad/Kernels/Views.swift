/// Kernel-level helpers used inside `forward` implementations. They never record anything:
/// calling a public (recorded) op from a forward would add stray nodes to the graph.
extension Tensor {
  /// `self` with elements converted to `dtype` (self when it already is).
  func converted(to dtype: DType) throws -> Tensor {
    try requireUnbatched()
    return dtype == self.dtype ? self : try copyKernel(self, to: dtype)
  }

  /// A contiguous tensor with the same elements (self when already contiguous).
  func densified() throws -> Tensor {
    try requireUnbatched()
    return isContiguous ? self : try copyKernel(self, to: dtype)
  }

  /// A stride-0 view of `self` broadcast to `shape`; the caller has checked compatibility.
  func broadcastView(to shape: [Int]) -> Tensor {
    Tensor(storage: storage, shape: shape, strides: broadcastStrides(self, to: shape), offset: offset, dtype: dtype)
  }

  /// A view with the same elements in a new shape, when the strides allow it; nil otherwise.
  func reshapedView(_ newShape: [Int]) -> Tensor? {
    if isContiguous {
      return Tensor(storage: storage, shape: newShape, strides: contiguousStrides(newShape), offset: offset,
        dtype: dtype)
    }
    // Dropping or adding size-1 dimensions never needs a copy.
    let kept = zip(shape, strides).filter { $0.0 != 1 }
    guard kept.map(\.0) == newShape.filter({ $0 != 1 }) else { return nil }
    var strides = [Int](repeating: 0, count: newShape.count)
    var k = kept.count - 1
    for i in stride(from: newShape.count - 1, through: 0, by: -1) {
      if newShape[i] == 1 {
        strides[i] = i + 1 < newShape.count ? strides[i + 1] * Swift.max(newShape[i + 1], 1) : 1
      } else {
        strides[i] = kept[k].1
        k -= 1
      }
    }
    return Tensor(storage: storage, shape: newShape, strides: strides, offset: offset, dtype: dtype)
  }

  /// A view with dimensions permuted.
  func permutedView(_ perm: [Int]) -> Tensor {
    Tensor(storage: storage, shape: perm.map { shape[$0] }, strides: perm.map { strides[$0] }, offset: offset,
      dtype: dtype)
  }

  /// A deep copy (new storage), contiguous.
  func cloned() throws -> Tensor { try copyKernel(self, to: dtype) }
}
