/// Reduction loops over a set of axes.
///
/// Two layouts cover everything: when the reduced axes lead and the input is contiguous, rows
/// are accumulated into a vector of partial results (the bias-gradient case); otherwise the
/// input is permuted so reduced axes trail, made contiguous, and each block is folded.
@inline(__always)
func reduceKernel<T: NumericElement, A, O: NumericElement>(
  _ x: Tensor, axes: [Int], keepDims: Bool, to dtype: DType, initial: A,
  _ combine: (inout A, T) -> Void, _ finish: (A) -> O
) throws -> Tensor {
  let reduced = Set(axes)
  let kept = (0..<x.ndim).filter { !reduced.contains($0) }
  let outShape = keepDims ? x.shape.indices.map { reduced.contains($0) ? 1 : x.shape[$0] } : kept.map { x.shape[$0] }
  let out = try Tensor(uninitializedShape: outShape, dtype: dtype)
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
    let dense = try x.permutedView(kept + axes.sorted()).densified()
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
  let b = try x.converted(to: .bool).densified()
  let p = b.pointer(Bool.self)
  for i in 0..<b.count where p[i] { return true }
  return false
}

/// Whether every element is finite (not NaN, not ±inf).
public func allFinite(_ x: Tensor) throws -> Bool {
  let d = try x.converted(to: .float64).densified()
  let p = d.pointer(Double.self)
  for i in 0..<d.count where !p[i].isFinite { return false }
  return true
}

/// Note [Blocked float sums]: a sum carried in one accumulator waits on each addition's latency
/// (12x slower than NumPy on 4M elements) and loses accuracy linearly in the length. Sums over
/// the trailing axes of contiguous float data run instead in 32 independent lanes (four SIMD8
/// accumulators), which the CPU overlaps and which behave like a 32-way pairwise split. Float32
/// data accumulates in Double, as the generic kernel does. nil: not this case.
func sumOfTrailingAxes(_ x: Tensor, axes: [Int], keepDims: Bool) throws -> Tensor? {
  let sorted = axes.sorted()
  guard x.dtype.isFloatingPoint, !x.dtype.isLowPrecision, x.isContiguous,
    sorted == Array((x.ndim - axes.count)..<x.ndim)
  else { return nil }
  let inner = axes.reduce(1) { $0 * x.shape[$1] }
  let leading = Array(x.shape.prefix(x.ndim - axes.count))
  let outShape = keepDims ? leading + Array(repeating: 1, count: axes.count) : leading
  let out = try Tensor(uninitializedShape: outShape, dtype: x.dtype)
  let outer = out.count
  if x.dtype == .float64 {
    let (p, po) = (x.pointer(Double.self), out.pointer(Double.self))
    for o in 0..<outer { po[o] = blockSum(p + o * inner, inner) }
  } else {
    let (p, po) = (x.pointer(Float.self), out.pointer(Float.self))
    for o in 0..<outer { po[o] = Float(blockSum(p + o * inner, inner)) }
  }
  return out
}

@inline(__always)
private func blockSum<T: FloatElement>(_ p: UnsafePointer<T>, _ n: Int) -> Double {
  var (a0, a1, a2, a3) = (SIMD8<Double>(), SIMD8<Double>(), SIMD8<Double>(), SIMD8<Double>())
  var i = 0
  while i + 32 <= n {
    a0 += VectorMath.load(p + i)
    a1 += VectorMath.load(p + i + 8)
    a2 += VectorMath.load(p + i + 16)
    a3 += VectorMath.load(p + i + 24)
    i += 32
  }
  var total = ((a0 + a1) + (a2 + a3)).sum()
  while i < n {
    total += p[i].doubleValue
    i += 1
  }
  return total
}
