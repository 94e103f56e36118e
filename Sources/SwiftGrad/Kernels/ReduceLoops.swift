/// Reduction loops over a set of axes.
///
/// Two layouts cover everything: when the reduced axes lead and the input is contiguous, rows
/// are accumulated into a vector of partial results (the bias-gradient case); otherwise the
/// input is permuted so reduced axes trail, made contiguous, and each block is folded.
@inline(__always)
func reduceKernel<T: NumericElement, A, O: NumericElement>(
  _ x: Tensor, axes: [Int], keepDims: Bool, to dtype: DType, initial: A,
  _ combine: (inout A, T) -> Void, _ finish: (A) -> O
) -> Tensor {
  let reduced = Set(axes)
  let kept = (0..<x.ndim).filter { !reduced.contains($0) }
  let outShape = keepDims ? x.shape.indices.map { reduced.contains($0) ? 1 : x.shape[$0] } : kept.map { x.shape[$0] }
  let out = Tensor(uninitializedShape: outShape, dtype: dtype)
  let po = out.pointer(O.self)
  let outer = kept.reduce(1) { $0 * x.shape[$1] }
  let inner = axes.reduce(1) { $0 * x.shape[$1] }
  if outer == 0 { return out }
  var acc = [A](repeating: initial, count: outer)
  if x.isContiguous && axes.sorted() == Array(0..<axes.count) {
    let p = x.pointer(T.self)
    acc.withUnsafeMutableBufferPointer { a in
      for r in 0..<inner {
        let row = p + r * outer
        for j in 0..<outer { combine(&a[j], row[j]) }
      }
    }
  } else {
    let dense = x.permutedView(kept + axes.sorted()).densified()
    let p = dense.pointer(T.self)
    acc.withUnsafeMutableBufferPointer { a in
      for o in 0..<outer {
        let block = p + o * inner
        var value = a[o]
        for i in 0..<inner { combine(&value, block[i]) }
        a[o] = value
      }
    }
  }
  for j in 0..<outer { po[j] = finish(acc[j]) }
  return out
}

/// Whether any element is true (or non-zero).
public func anyTrue(_ x: Tensor) throws -> Bool {
  let b = x.converted(to: .bool).densified()
  let p = b.pointer(Bool.self)
  for i in 0..<b.count where p[i] { return true }
  return false
}

/// Whether every element is finite (not NaN, not ±inf).
public func allFinite(_ x: Tensor) throws -> Bool {
  let d = x.converted(to: .float64).densified()
  let p = d.pointer(Double.self)
  for i in 0..<d.count where !p[i].isFinite { return false }
  return true
}
