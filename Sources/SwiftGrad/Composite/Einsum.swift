/// NumPy's `einsum`, reduced to existing primitives so every derivative comes for free:
/// a label repeated within one operand takes a diagonal (a view); labels no one else needs are
/// summed out; operands are then contracted left to right, each pair as transpose + reshape +
/// one batched matmul (integer operands: broadcast multiply + sum); the result is summed and
/// transposed into the output order. Ellipses broadcast as in NumPy.

/// One parsed operand term: a label per dimension. Letters are their ASCII codes; the
/// dimensions an ellipsis covers get labels 1000 + k, k counted from the last one.
typealias EinsumLabels = [Int]

private let ellipsisBase = 1000

private func labelName(_ l: Int) -> String {
  l >= ellipsisBase ? "..." : String(UnicodeScalar(UInt8(l)))
}

/// Parses one term ("ij", "...k", "a...") for an operand of `ndim` dimensions (nil: output).
private func parseTerm(_ term: Substring, ndim: Int?, operand: Int?) throws -> (labels: EinsumLabels, ellipsis: Bool) {
  let what = operand.map { "operand \($0)" } ?? "the output"
  var letters: [Int?] = []  // nil marks the ellipsis
  var rest = term[...]
  while let c = rest.first {
    if rest.hasPrefix("...") {
      guard !letters.contains(where: { $0 == nil }) else {
        throw SGError.value("einsum: more than one ellipsis in the subscripts of \(what)")
      }
      letters.append(nil)
      rest = rest.dropFirst(3)
      continue
    }
    guard c.isASCII, c.isLetter, let v = c.asciiValue else {
      throw SGError.value(
        "einsum: invalid subscript '\(c)' in the subscripts of \(what); use letters a-z, A-Z and '...'")
    }
    letters.append(Int(v))
    rest = rest.dropFirst()
  }
  let hasEllipsis = letters.contains(where: { $0 == nil })
  guard let ndim else {
    return (letters.flatMap { $0.map { [$0] } ?? [-1] }, hasEllipsis)  // -1: expanded by the caller
  }
  let named = letters.count - (hasEllipsis ? 1 : 0)
  guard hasEllipsis ? ndim >= named : ndim == named else {
    throw SGError.value(
      "einsum: operand \(operand ?? 0) has \(ndim) dimensions but its subscripts '\(term)' name \(named)")
  }
  let covered = ndim - named
  return (letters.flatMap { l -> [Int] in
    l.map { [$0] } ?? (0..<covered).map { ellipsisBase + covered - 1 - $0 }
  }, hasEllipsis)
}

/// Sums out the dimensions whose labels are not in `keep`.
private func sumOut(_ x: Tensor, _ labels: EinsumLabels, keep: Set<Int>) throws -> (Tensor, EinsumLabels) {
  let drop = labels.indices.filter { !keep.contains(labels[$0]) }
  if drop.isEmpty { return (x, labels) }
  return (try sum(x, axes: drop), labels.indices.filter { keep.contains(labels[$0]) }.map { labels[$0] })
}

/// Contracts two operands, keeping the labels in `keep`; returns the product and its labels
/// (batch labels, then a's own, then b's own).
private func contract(
  _ a: Tensor, _ la: EinsumLabels, _ b: Tensor, _ lb: EinsumLabels, keep: Set<Int>, sizes: [Int: Int]
) throws -> (Tensor, EinsumLabels) {
  let (a, la) = try sumOut(a, la, keep: keep.union(lb))
  let (b, lb) = try sumOut(b, lb, keep: keep.union(la))
  let batch = la.filter { lb.contains($0) && keep.contains($0) }
  let summed = la.filter { lb.contains($0) && !keep.contains($0) }
  let onlyA = la.filter { !lb.contains($0) }
  let onlyB = lb.filter { !la.contains($0) }
  func size(_ ls: EinsumLabels) -> Int { ls.reduce(1) { $0 * sizes[$1]! } }
  func arranged(_ x: Tensor, _ labels: EinsumLabels, _ order: EinsumLabels) throws -> Tensor {
    try transpose(x, order.map { labels.firstIndex(of: $0)! })
  }
  let resultLabels = batch + onlyA + onlyB
  let resultShape = resultLabels.map { sizes[$0]! }
  let dtype = DType.promote(a.dtype, b.dtype)
  if dtype.isFloatingPoint {
    let am = try reshape(arranged(cast(a, to: dtype), la, batch + onlyA + summed),
      [size(batch), size(onlyA), size(summed)])
    let bm = try reshape(arranged(cast(b, to: dtype), lb, batch + summed + onlyB),
      [size(batch), size(summed), size(onlyB)])
    return (try reshape(matmul(am, bm), resultShape), resultLabels)
  }
  // Integers: align both to (batch, onlyA, onlyB, summed) with size-1 gaps, multiply, sum.
  let all = resultLabels + summed
  func aligned(_ x: Tensor, _ labels: EinsumLabels) throws -> Tensor {
    let present = all.filter { labels.contains($0) }
    return try reshape(arranged(x, labels, present), all.map { labels.contains($0) ? sizes[$0]! : 1 })
  }
  let product = try mul(aligned(a, la), aligned(b, lb))
  return (summed.isEmpty ? product : try sum(product, axes: Array(resultLabels.count..<all.count)), resultLabels)
}

/// NumPy's `einsum(subscripts, *operands)` with implicit ("ij,jk") or explicit ("ij,jk->ik")
/// output; see the file comment for how it reduces to primitives.
public func einsum(_ subscripts: String, _ operands: [Tensor]) throws -> Tensor {
  let spec = subscripts.filter { !$0.isWhitespace }
  let sides = spec.components(separatedByArrow: ())
  guard sides.count <= 2 else { throw SGError.value("einsum: subscripts '\(subscripts)' contain more than one '->'") }
  let terms = sides[0].split(separator: ",", omittingEmptySubsequences: false)
  guard terms.count == operands.count else {
    throw SGError.value(
      "einsum: subscripts '\(subscripts)' name \(terms.count) operand(s) but \(operands.count) were given")
  }
  guard !operands.isEmpty else { throw SGError.value("einsum: at least one operand is required") }
  var parsed = try zip(terms, operands).enumerated().map { i, pair in
    try parseTerm(pair.0, ndim: pair.1.ndim, operand: i).labels
  }
  // Sizes per label; ellipsis dimensions broadcast (size 1 stretches), letters must agree.
  var sizes: [Int: Int] = [:]
  for (i, (labels, x)) in zip(parsed, operands).enumerated() {
    for (d, l) in labels.enumerated() {
      let n = x.shape[d]
      if let seen = sizes[l], seen != n {
        if l >= ellipsisBase && (seen == 1 || n == 1) {
          sizes[l] = Swift.max(seen, n)
          continue
        }
        throw SGError.value(
          "einsum: size of label '\(labelName(l))' for operand \(i) (\(n)) does not match previous terms (\(seen)); " +
          "shapes \(operands.map { describe($0.shape) })")
      }
      sizes[l] = sizes[l] ?? n
    }
  }
  let ellipsisDims = parsed.map { $0.filter { $0 >= ellipsisBase }.count }.max() ?? 0
  let ellipsisLabels = (0..<ellipsisDims).map { ellipsisBase + ellipsisDims - 1 - $0 }
  var output: EinsumLabels
  if sides.count == 2 {
    let (raw, _) = try parseTerm(sides[1][...], ndim: nil, operand: nil)
    output = raw.flatMap { $0 == -1 ? ellipsisLabels : [$0] }
    for l in output where l < ellipsisBase && sizes[l] == nil {
      throw SGError.value(
        "einsum: output subscript '\(labelName(l))' does not appear in the input subscripts '\(sides[0])'")
    }
    guard Set(output).count == output.count else {
      throw SGError.value("einsum: output subscripts '\(sides[1])' repeat a label")
    }
  } else {
    let counts = parsed.flatMap { Set($0) }.reduce(into: [Int: Int]()) { $0[$1, default: 0] += 1 }
    let once = parsed.flatMap { $0 }.reduce(into: [Int: Int]()) { $0[$1, default: 0] += 1 }
    output = ellipsisLabels + Set(parsed.flatMap { $0 }).filter { $0 < ellipsisBase && once[$0] == 1
      && counts[$0] == 1 }.sorted()
  }
  // Per operand: broadcast ellipsis dimensions, take diagonals of repeated labels, sum out
  // labels that appear nowhere else.
  var tensors: [Tensor] = []
  for (i, x0) in operands.enumerated() {
    var x = x0
    var labels = parsed[i]
    let stretched = labels.map { sizes[$0]! }
    if stretched != x.shape { x = try broadcastTo(x, stretched) }
    while let l = labels.first(where: { l in labels.filter { $0 == l }.count > 1 }) {
      let p = labels.firstIndex(of: l)!
      let q = labels[(p + 1)...].firstIndex(of: l)!
      x = try diagonal(x, offset: 0, axis1: p, axis2: q)
      labels.remove(at: q)
      labels.remove(at: p)
      labels.append(l)
    }
    let elsewhere = Set(parsed.enumerated().filter { $0.offset != i }.flatMap { $0.element })
    (x, labels) = try sumOut(x, labels, keep: elsewhere.union(output))
    tensors.append(x)
    parsed[i] = labels
  }
  var (acc, accLabels) = (tensors[0], parsed[0])
  for i in 1..<Swift.max(tensors.count, 1) {
    let later = Set(parsed[(i + 1)...].flatMap { $0 }).union(output)
    (acc, accLabels) = try contract(acc, accLabels, tensors[i], parsed[i], keep: later, sizes: sizes)
  }
  (acc, accLabels) = try sumOut(acc, accLabels, keep: Set(output))
  return try transpose(acc, output.map { accLabels.firstIndex(of: $0)! })
}

extension String {
  /// The parts around "->" (one part when there is no arrow).
  fileprivate func components(separatedByArrow _: ()) -> [Substring] {
    var parts: [Substring] = []
    var start = startIndex
    var i = startIndex
    while i < endIndex {
      if self[i...].hasPrefix("->") {
        parts.append(self[start..<i])
        i = index(i, offsetBy: 2)
        start = i
      } else {
        i = index(after: i)
      }
    }
    parts.append(self[start...])
    return parts
  }
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let einsums: [Operation] = [
    Operation("einsum", "subscripts: str, operands: *tensors", "Einstein summation (NumPy's einsum).") {
      [try einsum($0.string(0), $0.tensors(1))]
    },
  ]
}
