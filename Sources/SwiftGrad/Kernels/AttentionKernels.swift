#if canImport(Glibc)
  import Glibc
#endif

/// Blocked attention loops (Note [Blocked attention], Primitives/Attention.swift): the scores
/// of one block of queries against one block of keys are formed with GEMM, normalised with a
/// running max and sum, and never stored beyond that block.

/// What the kernels need besides q (B, L, E), k (B, S, E) and v (B, S, Ev).
struct AttentionLayout {
  let batch: Int, queries: Int, keys: Int, headDim: Int, valueDim: Int
  let scale: Double
  let isCausal: Bool
  /// Boolean (True keeps) or additive mask, viewed as (B..., L, S); `maskBase[b]` is the
  /// element offset of batch b's (L, S) slice and `maskStrides` its two strides.
  let mask: Tensor?
  let maskBase: [Int]
  let maskStrides: (Int, Int)
  let dropout: Double
  let seed: UInt64

  static let queryBlock = 256
  static let keyBlock = 512

  /// Whether dropout keeps entry (b, i, j): a counter-based hash of the call's seed, so the
  /// backward pass regenerates the forward's mask block by block.
  @inline(__always) func keeps(_ b: Int, _ i: Int, _ j: Int) -> Bool {
    var x = seed &+ UInt64(truncatingIfNeeded: (b * queries + i) * keys + j) &* 0x9E37_79B9_7F4A_7C15
    x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
    x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
    x ^= x >> 31
    return Double(x >> 11) * 0x1.0p-53 >= dropout
  }
}

/// A 2-D view of `t`'s storage: `rows` x `cols` at element `offset` with row stride `ld`,
/// or its transpose when `transposed`.
private func matrix(_ t: Tensor, offset: Int, rows: Int, cols: Int, ld: Int, transposed: Bool = false) -> Tensor {
  Tensor(
    storage: t.storage, shape: transposed ? [cols, rows] : [rows, cols], strides: transposed ? [1, ld] : [ld, 1],
    offset: t.offset + offset, dtype: t.dtype)
}

/// A contiguous (rows, cols) view at the start of a scratch buffer.
private func scratch(_ t: Tensor, _ rows: Int, _ cols: Int) -> Tensor {
  Tensor(storage: t.storage, shape: [rows, cols], strides: [Swift.max(cols, 1), 1], offset: 0, dtype: t.dtype)
}

extension AttentionLayout {
  /// Scaled, masked scores of queries i0..<i0+r against keys j0..<j0+c, in place in `s`
  /// (r x c, row-major); -infinity where a mask or causality removes the pair.
  @inline(__always)
  func maskScores<T: FloatElement>(_ s: UnsafeMutablePointer<T>, b: Int, i0: Int, r: Int, j0: Int, c: Int) {
    let sc = T(scale)
    let bools = mask?.dtype == .bool ? mask!.pointer(Bool.self) + maskBase[b] : nil
    let adds = mask != nil && mask!.dtype != .bool ? mask!.pointer(T.self) + maskBase[b] : nil
    for ii in 0..<r {
      let i = i0 + ii
      let row = s + ii * c
      for jj in 0..<c {
        let j = j0 + jj
        var x = row[jj] * sc
        if let adds { x += adds[i * maskStrides.0 + j * maskStrides.1] }
        if let bools, !bools[i * maskStrides.0 + j * maskStrides.1] { x = -T.infinity }
        if isCausal && j > i { x = -T.infinity }
        row[jj] = x
      }
    }
  }

  /// The key blocks a query block [i0, i0 + r) meets (causal attention stops at the diagonal).
  func keyLimit(_ i0: Int, _ r: Int) -> Int { isCausal ? Swift.min(keys, i0 + r) : keys }
}

/// x <- exp(x - shift) over `count` elements, eight lanes at a time (Note [Vector
/// transcendental kernels]); -infinity (a masked score) gives 0.
@inline(__always)
private func exponentiate<T: FloatElement>(_ x: UnsafeMutablePointer<T>, _ count: Int, minus shift: T) {
  for j in 0..<count { x[j] -= shift }
  VectorMath.map(UnsafePointer(x), x, 0..<count, lanes: { VectorMath.exp($0) }, scalar: { T.exp($0) })
}

/// Forward: (output (B, L, Ev), log-sum-exp (B, L) float64; -inf for a row with no key).
func blockedAttentionForward<T: FloatElement>(
  _: T.Type, _ q: Tensor, _ k: Tensor, _ v: Tensor, _ a: AttentionLayout
) throws -> (Tensor, Tensor) {
  let (L, S, E, Ev) = (a.queries, a.keys, a.headDim, a.valueDim)
  let out = try zerosKernel([a.batch, L, Ev], dtype: q.dtype)
  let lse = try Tensor(uninitializedShape: [a.batch, L], dtype: .float64)
  let (br, bc) = (AttentionLayout.queryBlock, AttentionLayout.keyBlock)
  let sBuffer = try Tensor(uninitializedShape: [br * bc], dtype: q.dtype)
  let pvBuffer = try Tensor(uninitializedShape: [br * Swift.max(Ev, 1)], dtype: q.dtype)
  var m = [Double](repeating: 0, count: br)
  var l = [Double](repeating: 0, count: br)
  let lsePointer = lse.pointer(Double.self)
  for b in 0..<a.batch {
    for i0 in stride(from: 0, to: L, by: br) {
      let r = Swift.min(br, L - i0)
      for ii in 0..<r { (m[ii], l[ii]) = (-.infinity, 0) }
      let acc = out.pointer(T.self) + (b * L + i0) * Ev
      let qv = matrix(q, offset: (b * L + i0) * E, rows: r, cols: E, ld: E)
      for j0 in stride(from: 0, to: a.keyLimit(i0, r), by: bc) {
        let c = Swift.min(bc, S - j0)
        let sv = scratch(sBuffer, r, c)
        try gemm(qv, matrix(k, offset: (b * S + j0) * E, rows: c, cols: E, ld: E, transposed: true), into: sv)
        let s = sv.pointer(T.self)
        a.maskScores(s, b: b, i0: i0, r: r, j0: j0, c: c)
        for ii in 0..<r {
          let row = s + ii * c
          var peak = m[ii]
          for jj in 0..<c { peak = Swift.max(peak, Double(row[jj])) }
          if peak == -.infinity {
            for jj in 0..<c { row[jj] = 0 }
            continue
          }
          let shrink = T(Glibc.exp(m[ii] - peak))
          exponentiate(row, c, minus: T(peak))
          var total = T(0)
          for jj in 0..<c { total += row[jj] }
          if a.dropout > 0 {
            for jj in 0..<c where !a.keeps(b, i0 + ii, j0 + jj) { row[jj] = 0 }
          }
          l[ii] = l[ii] * Double(shrink) + Double(total)
          m[ii] = peak
          let o = acc + ii * Ev
          for e in 0..<Ev { o[e] *= shrink }
        }
        let pv = scratch(pvBuffer, r, Ev)
        try gemm(sv, matrix(v, offset: (b * S + j0) * Ev, rows: c, cols: Ev, ld: Ev), into: pv)
        let add = pv.pointer(T.self)
        for x in 0..<(r * Ev) { acc[x] += add[x] }
      }
      let keep = T(1 - a.dropout)
      for ii in 0..<r {
        let o = acc + ii * Ev
        let norm = l[ii] > 0 ? T(1 / l[ii]) / keep : 0
        for e in 0..<Ev { o[e] *= norm }
        lsePointer[b * L + i0 + ii] = l[ii] > 0 ? m[ii] + Glibc.log(l[ii]) : -.infinity
      }
    }
  }
  return withExtendedLifetime((sBuffer, pvBuffer)) { (out, lse) }
}

/// Backward (FlashAttention's): recomputes each block's probabilities from the saved
/// log-sum-exp; D_i = sum_e dO_ie O_ie. Returns (dq, dk, dv).
func blockedAttentionBackward<T: FloatElement>(
  _: T.Type, _ q: Tensor, _ k: Tensor, _ v: Tensor, output o: Tensor, logSumExp lse: Tensor, cotangent g: Tensor,
  _ a: AttentionLayout
) throws -> (Tensor, Tensor, Tensor) {
  let (L, S, E, Ev) = (a.queries, a.keys, a.headDim, a.valueDim)
  let dq = try zerosKernel([a.batch, L, E], dtype: q.dtype)
  let dk = try zerosKernel([a.batch, S, E], dtype: q.dtype)
  let dv = try zerosKernel([a.batch, S, Ev], dtype: q.dtype)
  let (br, bc) = (AttentionLayout.queryBlock, AttentionLayout.keyBlock)
  let pBuffer = try Tensor(uninitializedShape: [br * bc], dtype: q.dtype)
  let dpBuffer = try Tensor(uninitializedShape: [br * bc], dtype: q.dtype)
  let tmpBuffer = try Tensor(uninitializedShape: [Swift.max(br, bc) * Swift.max(E, Ev, 1)], dtype: q.dtype)
  let (gp, op, lp) = (g.pointer(T.self), o.pointer(T.self), lse.pointer(Double.self))
  let keep = T(1 - a.dropout)
  var rowDot = [T](repeating: 0, count: br)
  func accumulate(_ into: UnsafeMutablePointer<T>, _ from: Tensor, _ count: Int) {
    let src = from.pointer(T.self)
    for x in 0..<count { into[x] += src[x] }
  }
  for b in 0..<a.batch {
    for i0 in stride(from: 0, to: L, by: br) {
      let r = Swift.min(br, L - i0)
      for ii in 0..<r {
        let base = (b * L + i0 + ii) * Ev
        var d = T(0)
        for e in 0..<Ev { d += gp[base + e] * op[base + e] }
        rowDot[ii] = d
      }
      let qv = matrix(q, offset: (b * L + i0) * E, rows: r, cols: E, ld: E)
      let gv = matrix(g, offset: (b * L + i0) * Ev, rows: r, cols: Ev, ld: Ev)
      for j0 in stride(from: 0, to: a.keyLimit(i0, r), by: bc) {
        let c = Swift.min(bc, S - j0)
        let kv = matrix(k, offset: (b * S + j0) * E, rows: c, cols: E, ld: E)
        let pv = scratch(pBuffer, r, c)
        try gemm(qv, matrix(k, offset: (b * S + j0) * E, rows: c, cols: E, ld: E, transposed: true), into: pv)
        let p = pv.pointer(T.self)
        a.maskScores(p, b: b, i0: i0, r: r, j0: j0, c: c)
        let dpv = scratch(dpBuffer, r, c)
        try gemm(gv, matrix(v, offset: (b * S + j0) * Ev, rows: c, cols: Ev, ld: Ev, transposed: true), into: dpv)
        let dp = dpv.pointer(T.self)
        // p <- dropped probabilities (for dV), dp <- dS * scale (for dQ, dK).
        for ii in 0..<r {
          let shift = lp[b * L + i0 + ii]
          if shift == -.infinity {
            for jj in 0..<c { p[ii * c + jj] = 0 }
          } else {
            exponentiate(p + ii * c, c, minus: T(shift))
          }
          for jj in 0..<c {
            let x = ii * c + jj
            let prob = p[x]
            let kept = a.dropout == 0 || a.keeps(b, i0 + ii, j0 + jj)
            p[x] = kept ? prob / keep : 0
            dp[x] = prob * ((kept ? dp[x] / keep : 0) - rowDot[ii]) * T(a.scale)
          }
        }
        let dvBlock = scratch(tmpBuffer, c, Ev)
        try gemm(matrix(pBuffer, offset: 0, rows: r, cols: c, ld: c, transposed: true), gv, into: dvBlock)
        accumulate(dv.pointer(T.self) + (b * S + j0) * Ev, dvBlock, c * Ev)
        let dqBlock = scratch(tmpBuffer, r, E)
        try gemm(dpv, kv, into: dqBlock)
        accumulate(dq.pointer(T.self) + (b * L + i0) * E, dqBlock, r * E)
        let dkBlock = scratch(tmpBuffer, c, E)
        try gemm(matrix(dpBuffer, offset: 0, rows: r, cols: c, ld: c, transposed: true), qv, into: dkBlock)
        accumulate(dk.pointer(T.self) + (b * S + j0) * E, dkBlock, c * E)
      }
    }
  }
  return withExtendedLifetime((pBuffer, dpBuffer, tmpBuffer)) { (dq, dk, dv) }
}
