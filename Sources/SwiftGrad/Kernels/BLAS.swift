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

/// Note [Low-precision GEMM]: bfloat16 operands go to a GEMM that multiplies bfloat16 pairs into
/// float32 accumulators: the BLAS's `cblas_sbgemm` when the loaded library exports it, else
/// swiftgrad's AVX512-BF16 kernel (Note [bfloat16 GEMM kernel], sg_bf16_gemm.c) on CPUs that have
/// the instructions; SWIFTGRAD_BF16_GEMM=auto|blas|native|off chooses. Otherwise, and for float16,
/// both operands are widened with the vectorised loops of LowPrecision.swift and multiplied by
/// sgemm. Either way the float32 product is rounded once into `c`.
private func lowPrecisionGemm(_ a: Tensor, _ b: Tensor, into c: Tensor) throws {
  let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
  let kernel = c.dtype == .bfloat16 && a.dtype == .bfloat16 && b.dtype == .bfloat16 ? BFloat16Gemm.current : .widen
  guard kernel != .widen else {
    let product = try Tensor(uninitializedShape: [m, n], dtype: .float32)
    try gemm(try a.converted(to: .float32), try b.converted(to: .float32), into: product)
    copyInto(c, from: product)
    return
  }
  let opA = try BLASOperand(a)
  let opB = try BLASOperand(b)
  try requireBLAS("matmul", dimensions: [m, n, k, opA.leadingDimension, opB.leadingDimension])
  if kernel == .native {
    try nativeBFloat16Gemm(opA, opB, m: m, n: n, k: k, into: c)
    return
  }
  let product = try Tensor(uninitializedShape: [m, n], dtype: .float32)
  sg_sbgemm(
    opA.transposed ? 1 : 0, opB.transposed ? 1 : 0, Int32(m), Int32(n), Int32(k),
    UnsafeRawPointer(opA.tensor.baseAddress), Int32(opA.leadingDimension),
    UnsafeRawPointer(opB.tensor.baseAddress), Int32(opB.leadingDimension), product.pointer(Float.self), Int32(n))
  copyInto(c, from: product)
}

/// The bfloat16 GEMM matmul uses now (SWIFTGRAD_BF16_GEMM is read at every call).
enum BFloat16Gemm {
  case widen, blas, native

  static var current: BFloat16Gemm {
    guard sg_blas_ready() != 0 else { return .widen }
    switch Int(sg_bf16_gemm_choice()) {
    case SG_BF16_GEMM_BLAS: return .blas
    case SG_BF16_GEMM_NATIVE: return .native
    default: return .widen
    }
  }
}

/// sg_bf16_gemm.c's kernel, writing the rounded product straight into `c` (contiguous, m x n):
/// op(B) packed once, the row panels of C split across the thread pool (as many parts as BLAS
/// threads, so `set_num_threads` governs both GEMMs alike). Past one reduction block the float32
/// partial sums need an m x n buffer.
private func nativeBFloat16Gemm(_ opA: BLASOperand, _ opB: BLASOperand, m: Int, n: Int, k: Int, into c: Tensor) throws {
  let partial = k > Int(sg_bf16_gemm_block_depth()) ? try Tensor(uninitializedShape: [m, n], dtype: .float32) : nil
  let words = Swift.max(sg_bf16_gemm_packed_b_words(Int32(n), Int32(k)), 1)
  let packedB = UnsafeMutablePointer<UInt32>.allocate(capacity: words)
  defer { packedB.deallocate() }
  sg_bf16_gemm_pack_b(opB.transposed ? 1 : 0, Int32(n), Int32(k), UnsafeRawPointer(opB.tensor.baseAddress),
    Int32(opB.leadingDimension), packedB)
  let panels = Int(sg_bf16_gemm_row_panels(Int32(m)))
  // Threads pay off from about a million multiply-adds each.
  let threads = Swift.max(Int(sg_blas_get_num_threads()), 1)
  let parts = Double(m) * Double(n) * Double(k) >= 2e6 ? Swift.min(panels, threads) : 1
  let aBase = UnsafeRawPointer(opA.tensor.baseAddress)
  let partialSums = partial?.pointer(Float.self)
  let out = c.baseAddress.assumingMemoryBound(to: UInt16.self)
  Parallel.forChunks(parts, minimumCount: 2) { range in
    let workspace = UnsafeMutablePointer<UInt32>.allocate(capacity: sg_bf16_gemm_workspace_words())
    defer { workspace.deallocate() }
    for part in range {
      sg_bf16_gemm_rows(
        opA.transposed ? 1 : 0, Int32(part * panels / parts), Int32((part + 1) * panels / parts), Int32(m), Int32(n),
        Int32(k), aBase, Int32(opA.leadingDimension), packedB, partialSums, out, Int32(n), workspace)
    }
  }
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
