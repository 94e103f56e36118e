/// Note [Blocked attention]
/// softmax(q k^T * scale + mask) v is computed key block by key block (Kernels/
/// AttentionKernels.swift): each block's scores are exponentiated against a running row max, the
/// row sums and the output accumulator are rescaled when the max grows, and only the per-row
/// log-sum-exp is kept. Memory is O(L + S) per head beyond the inputs and the output, instead of
/// the O(L x S) probability matrix that the composite saves for backward.
///
/// The VJP recomputes each block's probabilities from the saved log-sum-exp (FlashAttention's
/// backward: dS = P * (dP - D) with D_i = sum_e dO_ie O_ie). That kernel is a value only, so it
/// runs when backward records nothing (create_graph off, no forward-mode tangents). Otherwise the
/// rule is the composite: the same formula written with differentiable ops over the full
/// (L, S) probabilities, which makes second order and forward-over-reverse work at O(L x S)
/// memory. The JVP is that composite too.
///
/// Dropout drops probabilities after the softmax (PyTorch's order) with a mask drawn from a
/// counter-based hash of a seed taken from the core generator once per call, so backward
/// regenerates the same mask block by block. A row whose keys are all masked gives zeros (and
/// zero gradients) rather than NaN.
public struct ScaledDotProductAttention: Primitive {
  public static let name = "scaled_dot_product_attention"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try taylorFromJVP(self, inputs, output: y, series: series, readsOutput: Self.readsOutput)
  }
  public static var readsOutput: Bool { true }
  public enum MaskKind { case none, boolean, additive }

  public let scale: Double
  public let isCausal: Bool
  public let maskKind: MaskKind
  public let dropout: Double
  public let seed: UInt64
  /// Shape of the batch dimensions (inputs are flattened to (B, L, E); the mask is not).
  public let batchShape: [Int]
  private let saved = SavedStatistics()

  private final class SavedStatistics { var logSumExp: Tensor? }

  /// vmap: the examples join the flattened batch (query, key, value) and lead the mask's batch
  /// dimensions, so one blocked call serves them all.
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    let n = Batching.size(inputs, axes)
    let merged = try zip(inputs, axes).enumerated().map { i, pair -> Tensor in
      let x = try Batching.materialized(pair.0, pair.1, size: n)
      return i < 3 ? try reshape(x, [n * x.shape[1]] + Array(x.shape.dropFirst(2))) : x
    }
    let batched = ScaledDotProductAttention(
      scale: scale, isCausal: isCausal, maskKind: maskKind, dropout: dropout, seed: seed, batchShape: [n] + batchShape)
    let out = try apply(batched, merged)
    return (try reshape(out, [n, out.shape[0] / n] + Array(out.shape.dropFirst())), 0)
  }

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let (q, k, v) = try (inputs[0].densified(), inputs[1].densified(), inputs[2].densified())
    let a = layout(inputs)
    let (out, lse) = q.dtype == .float32
      ? try blockedAttentionForward(Float.self, q, k, v, a) : try blockedAttentionForward(Double.self, q, k, v, a)
    saved.logSumExp = lse
    return out
  }

  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    let recorded = GradMode.isEnabled || ([g, output] + inputs).contains { !$0.isUnperturbed || $0.batch != nil }
    if recorded || inputs[0].dtype.isLowPrecision { return try compositeVJP(inputs, cotangent: g) }
    let (q, k, v) = try (inputs[0].densified(), inputs[1].densified(), inputs[2].densified())
    let a = layout(inputs)
    // A replayed graph may have run forward again since; the statistics are then recomputed.
    let lse = try saved.logSumExp ?? blockedAttentionForward(Double.self, q, k, v, a).1
    let (o, dO) = try (output.densified(), g.converted(to: q.dtype).densified())
    let (dq, dk, dv) = q.dtype == .float32
      ? try blockedAttentionBackward(Float.self, q, k, v, output: o, logSumExp: lse, cotangent: dO, a)
      : try blockedAttentionBackward(Double.self, q, k, v, output: o, logSumExp: lse, cotangent: dO, a)
    return [dq, dk, dv] + (inputs.count > 3 ? [nil] : [])
  }

  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    let (q, k, v) = (inputs[0], inputs[1], inputs[2])
    let p = try probabilities(inputs)
    let kept = try dropoutScale(inputs)
    var dS: Tensor?
    func accumulate(_ t: Tensor) throws { dS = try dS.map { try add($0, t) } ?? t }
    if let tq = tangents[0] { try accumulate(mul(matmul(tq, swapaxes(k, -1, -2)), scale)) }
    if let tk = tangents[1] { try accumulate(mul(matmul(q, swapaxes(tk, -1, -2)), scale)) }
    if maskKind == .additive, tangents.count > 3, let tm = tangents[3] {
      try accumulate(reshape(broadcastTo(tm, inputs[3].shape), p.shape))
    }
    var result: Tensor?
    if let dS {
      let dP = try mul(p, sub(dS, sum(mul(p, dS), axes: [-1], keepDims: true)))
      result = try matmul(kept.map { try mul(dP, $0) } ?? dP, v)
    }
    if let tv = tangents[2] {
      let term = try matmul(kept.map { try mul(p, $0) } ?? p, tv)
      result = try result.map { try add($0, term) } ?? term
    }
    return result
  }

  /// The VJP with differentiable ops (create_graph, forward-over-reverse).
  private func compositeVJP(_ inputs: [Tensor], cotangent g: Tensor) throws -> [Tensor?] {
    let (q, k, v) = (inputs[0], inputs[1], inputs[2])
    let p = try probabilities(inputs)
    let kept = try dropoutScale(inputs)
    let dropped = try kept.map { try mul(p, $0) } ?? p
    let dv = try matmul(swapaxes(dropped, -1, -2), g)
    let dDropped = try matmul(g, swapaxes(v, -1, -2))
    let dP = try kept.map { try mul(dDropped, $0) } ?? dDropped
    let dS = try mul(p, sub(dP, sum(mul(dP, p), axes: [-1], keepDims: true)))
    let dq = try mul(matmul(dS, k), scale)
    let dk = try mul(matmul(swapaxes(dS, -1, -2), q), scale)
    return [dq, dk, dv] + (inputs.count > 3 ? [nil] : [])
  }

  /// softmax of the scaled, masked scores (B, L, S), differentiable; zero rows where every key
  /// is masked.
  func probabilities(_ inputs: [Tensor]) throws -> Tensor {
    let (q, k) = (inputs[0], inputs[1])
    let (b, l, s) = (q.shape[0], q.shape[1], k.shape[1])
    var scores = try mul(matmul(q, swapaxes(k, -1, -2)), scale)
    if maskKind == .additive { scores = try add(scores, reshape(inputs[3], [b, l, s])) }
    guard maskKind == .boolean || isCausal else { return try softmax(scores, axis: -1) }
    // Rows with no visible key keep every score (no -inf row to make NaN) and are zeroed after.
    let given = maskKind == .boolean ? try reshape(inputs[3], [b, l, s]).densified() : nil
    let visible = try Tensor(uninitializedShape: [b, l, s], dtype: .bool)
    let out = visible.pointer(Bool.self)
    var rowSeen = [Double](repeating: 0, count: b * l)
    for r in 0..<(b * l) {
      let i = r % l
      var seen = false
      for j in 0..<s {
        let on = (given.map { $0.pointer(Bool.self)[r * s + j] } ?? true) && (!isCausal || j <= i)
        out[r * s + j] = on
        seen = seen || on
      }
      if !seen { for j in 0..<s { out[r * s + j] = true } }
      rowSeen[r] = seen ? 1 : 0
    }
    let anyVisible = try tensor(rowSeen, shape: [b, l, 1], dtype: scores.dtype)
    let masked = try `where`(visible, scores, full([], -.infinity, dtype: scores.dtype))
    return try mul(softmax(masked, axis: -1), anyVisible)
  }

  /// The dropout mask divided by the keep probability, (B, L, S), or nil without dropout.
  func dropoutScale(_ inputs: [Tensor]) throws -> Tensor? {
    guard dropout > 0 else { return nil }
    let a = layout(inputs)
    let out = try Tensor(uninitializedShape: [a.batch, a.queries, a.keys], dtype: inputs[0].dtype.computeDType)
    let value = 1 / (1 - dropout)
    var x = 0
    func fill<T: FloatElement>(_: T.Type) {
      let p = out.pointer(T.self)
      for b in 0..<a.batch {
        for i in 0..<a.queries {
          for j in 0..<a.keys {
            p[x] = a.keeps(b, i, j) ? T(value) : 0
            x += 1
          }
        }
      }
    }
    if out.dtype == .float32 { fill(Float.self) } else { fill(Double.self) }
    return try out.converted(to: inputs[0].dtype)
  }

  func layout(_ inputs: [Tensor]) -> AttentionLayout {
    let (q, k, v) = (inputs[0], inputs[1], inputs[2])
    let mask = inputs.count > 3 ? inputs[3] : nil
    // Only with a mask: the batch count is then bounded by the mask view's checked inputs.
    var bases = [Int](repeating: 0, count: mask == nil ? 0 : q.shape[0])
    if let mask {
      let batchStrides = Array(mask.strides.prefix(batchShape.count))
      for b in 0..<bases.count {
        var (rest, offset) = (b, 0)
        for d in stride(from: batchShape.count - 1, through: 0, by: -1) {
          offset += (rest % batchShape[d]) * batchStrides[d]
          rest /= batchShape[d]
        }
        bases[b] = offset
      }
    }
    let n = mask?.ndim ?? 0
    return AttentionLayout(
      batch: q.shape[0], queries: q.shape[1], keys: k.shape[1], headDim: q.shape[2], valueDim: v.shape[2],
      scale: scale, isCausal: isCausal, mask: mask, maskBase: bases,
      maskStrides: mask.map { ($0.strides[n - 2], $0.strides[n - 1]) } ?? (0, 0), dropout: dropout, seed: seed)
  }
}

/// PyTorch's `scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal, scale)`:
/// q (..., L, E), k (..., S, E), v (..., S, Ev) with broadcastable batch dimensions; a boolean
/// mask keeps its True positions, a floating mask is added to the scores; both broadcast to
/// (..., L, S). Note [Blocked attention]. A mask that requires grad takes the composite path.
public func scaledDotProductAttention(
  _ query: Tensor, _ key: Tensor, _ value: Tensor, mask: Tensor? = nil, dropoutProbability: Double = 0,
  isCausal: Bool = false, scale: Double? = nil
) throws -> Tensor {
  let what = "scaled_dot_product_attention"
  let (q, k, v) = (query, key, value)
  guard q.ndim >= 2, k.ndim >= 2, v.ndim >= 2 else {
    throw SGError.value(
      "\(what): query \(describe(q.shape)), key \(describe(k.shape)) and value \(describe(v.shape)) need "
        + "at least 2 dimensions")
  }
  guard q.dtype.isFloatingPoint, q.dtype == k.dtype, q.dtype == v.dtype else {
    throw SGError.type(
      "\(what): query, key and value must share one floating dtype, got \(q.dtype), \(k.dtype), \(v.dtype)")
  }
  let (l, e, s, ev) = (q.shape[q.ndim - 2], q.shape[q.ndim - 1], k.shape[k.ndim - 2], v.shape[v.ndim - 1])
  guard k.shape[k.ndim - 1] == e, v.shape[v.ndim - 2] == s else {
    throw SGError.value(
      "\(what): query \(describe(q.shape)), key \(describe(k.shape)) and value \(describe(v.shape)) do not fit "
        + "(query and key share the last axis, key and value the second last)")
  }
  guard dropoutProbability >= 0 && dropoutProbability < 1 else {
    throw SGError.value("\(what): dropout_p must be in [0, 1), got \(dropoutProbability)")
  }
  if isCausal && mask != nil {
    throw SGError.value("\(what): an explicit attn_mask must not be given together with is_causal=True")
  }
  let batch: [Int]
  do {
    batch = try broadcastShapes(
      broadcastShapes(Array(q.shape.dropLast(2)), Array(k.shape.dropLast(2))), Array(v.shape.dropLast(2)))
  } catch {
    throw SGError.value(
      "\(what): batch dimensions of query \(describe(q.shape)), key \(describe(k.shape)) and value "
        + "\(describe(v.shape)) do not broadcast")
  }
  let count = try checkedProduct(batch, what)
  let factor = scale ?? (e > 0 ? 1 / Double(e).squareRoot() : 1)
  var inputs = try [(q, l, e), (k, s, e), (v, s, ev)].map { t, rows, cols in
    try reshape(broadcastTo(t, batch + [rows, cols]), [count, rows, cols])
  }
  var kind = ScaledDotProductAttention.MaskKind.none
  if let mask {
    guard mask.dtype == .bool || mask.dtype.isFloatingPoint else {
      throw SGError.type("\(what): attn_mask must be boolean or floating point, got \(mask.dtype)")
    }
    guard (try? broadcastShapes(mask.shape, batch + [l, s])) == batch + [l, s] else {
      throw SGError.value(
        "\(what): attn_mask of shape \(describe(mask.shape)) does not broadcast to \(describe(batch + [l, s]))")
    }
    kind = mask.dtype == .bool ? .boolean : .additive
    inputs.append(try broadcastTo(mask.dtype == .bool ? mask : cast(mask, to: q.dtype), batch + [l, s]))
  }
  let seed = dropoutProbability > 0 ? UInt64(Random.uniforms(1)[0] * 0x1.0p53) : 0
  let primitive = ScaledDotProductAttention(
    scale: factor, isCausal: isCausal, maskKind: kind, dropout: dropoutProbability, seed: seed, batchShape: batch)
  let out: Tensor
  if mask?.requiresGrad ?? false {
    // The mask's gradient is the (L, S) score gradient: the composite gives it.
    let p = try primitive.probabilities(inputs)
    out = try matmul(primitive.dropoutScale(inputs).map { try mul(p, $0) } ?? p, inputs[2])
  } else {
    out = try apply(primitive, inputs)
  }
  return try reshape(out, batch + [l, ev])
}

private func checkedProduct(_ dims: [Int], _ what: String) throws -> Int {
  var n = 1
  for d in dims {
    let (r, overflow) = n.multipliedReportingOverflow(by: d)
    if overflow { throw SGError.value("\(what): batch size of \(describe(dims)) overflows") }
    n = r
  }
  return n
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let attention: [Operation] = [
    Operation("scaled_dot_product_attention",
              "query, key, value, attn_mask: tensor? = None, dropout_p: float = 0.0, is_causal: bool = False, "
                + "scale: float? = None",
              "PyTorch's attention softmax(q k^T * scale + mask) v, in key blocks with O(L + S) memory and a "
                + "recomputing backward (docs/NN_AND_OPTIM.md, Attention).", namespace: .functional) {
      [try scaledDotProductAttention($0.tensor(0), $0.tensor(1), $0.tensor(2), mask: $0.optionalTensor(3),
                                     dropoutProbability: $0.float(4), isCausal: $0.bool(5),
                                     scale: $0.optionalFloat(6))]
    },
  ]
}
