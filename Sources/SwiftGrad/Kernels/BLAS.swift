import CBLAS

/// How a 2-D operand can be handed to BLAS without copying: row-major with a leading
/// dimension, or as the transpose of a row-major matrix.
private struct BLASOperand {
  let tensor: Tensor
  let transposed: Bool
  let leadingDimension: Int

  init(_ t: Tensor) throws {
    let (rows, cols) = (t.shape[0], t.shape[1])
    if t.strides[1] == 1 && (rows == 1 || t.strides[0] >= Swift.max(cols, 1)) {
      (tensor, transposed, leadingDimension) = (t, false, rows == 1 ? Swift.max(cols, 1) : t.strides[0])
    } else if t.strides[0] == 1 && (cols == 1 || t.strides[1] >= Swift.max(rows, 1)) {
      (tensor, transposed, leadingDimension) = (t, true, cols == 1 ? Swift.max(rows, 1) : t.strides[1])
    } else {
      (tensor, transposed, leadingDimension) = (try t.cloned(), false, Swift.max(cols, 1))
    }
  }
}

/// Throws unless a BLAS library is loaded (loading the default one if none is yet), and unless
/// every dimension fits the 32-bit integers of the BLAS interface.
func requireBLAS(_ op: String, dimensions: [Int]) throws {
  guard sg_blas_ready() != 0 else { throw SGError.runtime("\(op): \(String(cString: sg_blas_error()))") }
  if let big = dimensions.first(where: { $0 > Int(Int32.max) }) {
    throw SGError.value("\(op): dimension \(big) exceeds the BLAS/LAPACK limit of \(Int32.max)")
  }
}

/// C = A @ B for 2-D views of the same floating dtype; C is a fresh contiguous (m, n) tensor.
func gemm(_ a: Tensor, _ b: Tensor, into c: Tensor) throws {
  let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
  if m == 0 || n == 0 { return }
  if k == 0 {
    c.baseAddress.initializeMemory(as: UInt8.self, repeating: 0, count: m * n * c.dtype.itemSize)
    return
  }
  if c.dtype == .float32 || c.dtype == .float64 { try requireBLAS("matmul", dimensions: [m, n, k]) }
  let opA = try BLASOperand(a)
  let opB = try BLASOperand(b)
  if c.dtype == .float32 || c.dtype == .float64 {
    try requireBLAS("matmul", dimensions: [opA.leadingDimension, opB.leadingDimension])
  }
  let ta: Int32 = opA.transposed ? 1 : 0
  let tb: Int32 = opB.transposed ? 1 : 0
  let ldc = Int32(n)
  switch c.dtype {
  case .float32:
    sg_sgemm(
      ta, tb, Int32(m), Int32(n), Int32(k), 1, opA.tensor.pointer(Float.self),
      Int32(opA.leadingDimension), opB.tensor.pointer(Float.self), Int32(opB.leadingDimension), 0,
      c.pointer(Float.self), ldc)
  case .float64:
    sg_dgemm(
      ta, tb, Int32(m), Int32(n), Int32(k), 1, opA.tensor.pointer(Double.self),
      Int32(opA.leadingDimension), opB.tensor.pointer(Double.self), Int32(opB.leadingDimension), 0,
      c.pointer(Double.self), ldc)
  case .bfloat16, .float16:
    try lowPrecisionGemm(a, b, into: c)
  case .int64, .bool:
    try integerGemm(try a.converted(to: .int64), try b.converted(to: .int64), into: c)
  default: throw storageOnly(c.dtype)
  }
}

/// Note [Low-precision GEMM]: bfloat16 operands go to OpenBLAS's `cblas_sbgemm` (bfloat16 in,
/// float32 accumulation) when the loaded library exports it; otherwise both 16-bit formats are
/// widened with the vectorised loops of LowPrecision.swift and multiplied by sgemm. Either way the
/// float32 product is rounded once into `c`.
private func lowPrecisionGemm(_ a: Tensor, _ b: Tensor, into c: Tensor) throws {
  let (m, n) = (a.shape[0], b.shape[1])
  let product = try Tensor(uninitializedShape: [m, n], dtype: .float32)
  if c.dtype == .bfloat16 && a.dtype == .bfloat16 && b.dtype == .bfloat16 && sg_blas_has_sbgemm() != 0 {
    let opA = try BLASOperand(a)
    let opB = try BLASOperand(b)
    try requireBLAS("matmul", dimensions: [opA.leadingDimension, opB.leadingDimension])
    sg_sbgemm(
      opA.transposed ? 1 : 0, opB.transposed ? 1 : 0, Int32(m), Int32(n), Int32(a.shape[1]),
      UnsafeRawPointer(opA.tensor.baseAddress), Int32(opA.leadingDimension),
      UnsafeRawPointer(opB.tensor.baseAddress), Int32(opB.leadingDimension), product.pointer(Float.self), Int32(n))
  } else {
    try gemm(try a.converted(to: .float32), try b.converted(to: .float32), into: product)
  }
  copyInto(c, from: product)
}

/// Integer matmul: no BLAS for it; a plain triple loop with wrapping arithmetic, as NumPy wraps.
private func integerGemm(_ a: Tensor, _ b: Tensor, into c: Tensor) throws {
  let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
  let pa = a.pointer(Int64.self)
  let pb = b.pointer(Int64.self)
  let result = try Tensor(uninitializedShape: [m, n], dtype: .int64)
  let pc = result.pointer(Int64.self)
  for i in 0..<m {
    for j in 0..<n {
      var acc: Int64 = 0
      for p in 0..<k { acc = acc &+ pa[i * a.strides[0] + p * a.strides[1]] &* pb[p * b.strides[0] + j * b.strides[1]] }
      pc[i * n + j] = acc
    }
  }
  copyInto(c, from: result)
}
