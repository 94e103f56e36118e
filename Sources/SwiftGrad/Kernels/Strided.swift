/// Calls `body` once per innermost row of `shape` with each operand's element offset at the
/// start of that row. The caller walks the row itself: `rowLength(shape)` elements, operand j
/// stepping by `rowStride(strides[j])`. Handles 0-d (one row of one element) and empty shapes.
@inline(__always)
func forEachRow(_ shape: [Int], _ strides: [[Int]], _ body: (UnsafeMutablePointer<Int>) -> Void) {
  if shape.contains(0) { return }
  let k = strides.count
  let offsets = UnsafeMutablePointer<Int>.allocate(capacity: Swift.max(k, 1))
  defer { offsets.deallocate() }
  offsets.initialize(repeating: 0, count: k)
  let outer = shape.count - 1
  guard outer > 0 else {
    body(offsets)
    return
  }
  var index = [Int](repeating: 0, count: outer)
  while true {
    body(offsets)
    var d = outer - 1
    while d >= 0 {
      index[d] += 1
      for j in 0..<k { offsets[j] += strides[j][d] }
      if index[d] < shape[d] { break }
      for j in 0..<k { offsets[j] -= strides[j][d] * shape[d] }
      index[d] = 0
      d -= 1
    }
    if d < 0 { return }
  }
}

@inline(__always) func rowLength(_ shape: [Int]) -> Int { shape.last ?? 1 }
@inline(__always) func rowStride(_ strides: [Int]) -> Int { strides.last ?? 0 }

/// Strides that read `t` as if broadcast to `shape` (0 along broadcast dimensions).
func broadcastStrides(_ t: Tensor, to shape: [Int]) -> [Int] {
  let lead = shape.count - t.ndim
  var strides = [Int](repeating: 0, count: shape.count)
  for i in 0..<t.ndim where t.shape[i] != 1 || shape[lead + i] == 1 {
    strides[lead + i] = t.shape[i] == 1 ? 0 : t.strides[i]
  }
  return strides
}

/// Copies `src` (converting its elements) into a new contiguous tensor of `dtype`.
func copyKernel(_ src: Tensor, to dtype: DType) throws -> Tensor {
  try src.requireUnbatched()
  if let rows = src.sparseRows { return try copyKernel(rows.dense(), to: dtype) }
  let out = try Tensor(uninitializedShape: src.shape, dtype: dtype)
  copyInto(out, from: src)
  return out
}

/// Writes `src`, broadcast to `dst.shape` and converted to `dst.dtype`, into the (possibly
/// strided) view `dst`. The caller has checked that the shapes broadcast.
func copyInto(_ dst: Tensor, from src: Tensor) {
  if src.shape == dst.shape && src.isContiguous && dst.isContiguous
    && LowPrecision.convertDense(src, into: dst, count: dst.count) { return }
  let srcStrides = broadcastStrides(src, to: dst.shape)
  // Two switches pick concrete element types so each loop below is specialised.
  func from<S: NumericElement>(_: S.Type) {
    let s = src.pointer(S.self)
    switch dst.dtype {
    case .bool: copyLoop(s, srcStrides, dst.pointer(Bool.self), dst.strides, dst.shape)
    case .int64: copyLoop(s, srcStrides, dst.pointer(Int64.self), dst.strides, dst.shape)
    case .float32: copyLoop(s, srcStrides, dst.pointer(Float.self), dst.strides, dst.shape)
    case .float64: copyLoop(s, srcStrides, dst.pointer(Double.self), dst.strides, dst.shape)
    case .bfloat16: copyLoop(s, srcStrides, dst.pointer(BFloat16.self), dst.strides, dst.shape)
    case .float16: copyLoop(s, srcStrides, dst.pointer(Float16.self), dst.strides, dst.shape)
    case .int8: copyLoop(s, srcStrides, dst.pointer(Int8.self), dst.strides, dst.shape)
    case .int16: copyLoop(s, srcStrides, dst.pointer(Int16.self), dst.strides, dst.shape)
    case .int32: copyLoop(s, srcStrides, dst.pointer(Int32.self), dst.strides, dst.shape)
    case .uint8: copyLoop(s, srcStrides, dst.pointer(UInt8.self), dst.strides, dst.shape)
    case .uint16: copyLoop(s, srcStrides, dst.pointer(UInt16.self), dst.strides, dst.shape)
    case .uint32: copyLoop(s, srcStrides, dst.pointer(UInt32.self), dst.strides, dst.shape)
    case .uint64: copyLoop(s, srcStrides, dst.pointer(UInt64.self), dst.strides, dst.shape)
    case .complex64: copyLoop(s, srcStrides, dst.pointer(Complex<Float>.self), dst.strides, dst.shape)
    case .complex128: copyLoop(s, srcStrides, dst.pointer(Complex<Double>.self), dst.strides, dst.shape)
    }
  }
  switch src.dtype {
  case .bool: from(Bool.self)
  case .int64: from(Int64.self)
  case .float32: from(Float.self)
  case .float64: from(Double.self)
  case .bfloat16: from(BFloat16.self)
  case .float16: from(Float16.self)
  case .int8: from(Int8.self)
  case .int16: from(Int16.self)
  case .int32: from(Int32.self)
  case .uint8: from(UInt8.self)
  case .uint16: from(UInt16.self)
  case .uint32: from(UInt32.self)
  case .uint64: from(UInt64.self)
  case .complex64: from(Complex<Float>.self)
  case .complex128: from(Complex<Double>.self)
  }
}

@inline(__always)
private func copyLoop<S: NumericElement, D: NumericElement>(
  _ s: UnsafeMutablePointer<S>, _ srcStrides: [Int], _ d: UnsafeMutablePointer<D>,
  _ dstStrides: [Int], _ shape: [Int]
) {
  let n = shape.reduce(1, *)
  let dense = contiguousStrides(shape)
  if n == 1 {
    d[0] = convertElement(s[0], to: D.self)
  } else if srcStrides == dense && dstStrides == dense {
    for i in 0..<n { d[i] = convertElement(s[i], to: D.self) }
  } else {
    let len = rowLength(shape)
    let ss = rowStride(srcStrides)
    let ds = rowStride(dstStrides)
    forEachRow(shape, [srcStrides, dstStrides]) { off in
      let sBase = s + off[0]
      let dBase = d + off[1]
      for i in 0..<len { dBase[i * ds] = convertElement(sBase[i * ss], to: D.self) }
    }
  }
}
