import XCTest

@testable import SwiftGrad

/// Losses, one-hot/embedding, nonzero/argwhere and logical ops (Composite/Losses, Selection,
/// Logical): values against direct loops, float64 gradchecks, forward vs reverse mode, bad input.
final class NeuralNetworkLossTests: XCTestCase {
  /// Reduces elementwise losses as the reference for `reduction`.
  func reduced(_ losses: [Double], _ reduction: LossReduction) -> [Double] {
    switch reduction {
    case .mean: return [losses.reduce(0, +) / Double(losses.count)]
    case .sum: return [losses.reduce(0, +)]
    case .elementwise: return losses
    }
  }

  func testRegressionLosses() throws {
    let (x, t) = (try seeded([3, 4], seed: 1), try seeded([3, 4], seed: 2))
    let (xs, ts) = (try x.toArray(), try t.toArray())
    let squared = zip(xs, ts).map { ($0 - $1) * ($0 - $1) }
    let delta = 0.8  // the seeded residuals fall on both sides of it
    let huber = zip(xs, ts).map { a, b -> Double in
      let r = Swift.abs(a - b)
      return r <= delta ? 0.5 * r * r : delta * (r - delta / 2)
    }
    XCTAssertTrue(huber.indices.contains { Swift.abs(xs[$0] - ts[$0]) > delta })
    XCTAssertTrue(huber.indices.contains { Swift.abs(xs[$0] - ts[$0]) < delta })
    for reduction in [LossReduction.mean, .sum, .elementwise] {
      try assertValues(mseLoss(x, t, reduction: reduction), reduced(squared, reduction))
      try assertValues(huberLoss(x, t, reduction: reduction, delta: delta), reduced(huber, reduction))
    }
    try gradcheck.check("mse_loss", [[3, 4], [3, 4]]) { try mseLoss($0[0], $0[1]) }
    try gradcheck.check("huber_loss", [[3, 4], [3, 4]]) { try huberLoss($0[0], $0[1], reduction: .sum, delta: 0.7) }
    try checkForwardMatchesReverse("huber_loss", [[4, 3], [4, 3]]) { try huberLoss($0[0], $0[1], delta: 0.5) }
  }

  func testBinaryCrossEntropyWithLogits() throws {
    let x = try mul(seeded([2, 5], seed: 3), 4)  // large logits too: the stable form matters
    let t = try Random.uniform([2, 5])
    let (w, p) = (try Random.uniform([5], low: 0.5, high: 2), try Random.uniform([2, 5], low: 0.5, high: 3))
    let (xs, ts, ws, ps) = (try x.toArray(), try t.toArray(), try w.toArray(), try p.toArray())
    func sigmoid(_ v: Double) -> Double { 1 / (1 + Glibc.exp(-v)) }
    let plain = xs.indices.map { i in
      -(ts[i] * Glibc.log(sigmoid(xs[i])) + (1 - ts[i]) * Glibc.log(1 - sigmoid(xs[i])))
    }
    let weighted = xs.indices.map { i in
      -(ps[i] * ts[i] * Glibc.log(sigmoid(xs[i])) + (1 - ts[i]) * Glibc.log(1 - sigmoid(xs[i]))) * ws[i % 5]
    }
    try assertValues(binaryCrossEntropyWithLogits(x, t, reduction: .elementwise), plain, tolerance: 1e-9)
    try assertValues(binaryCrossEntropyWithLogits(x, t, reduction: .sum), [plain.reduce(0, +)], tolerance: 1e-9)
    try assertValues(
      binaryCrossEntropyWithLogits(x, t, weight: w, positiveWeight: p), [weighted.reduce(0, +) / 10], tolerance: 1e-9)
    // Stable where the naive formula overflows: log(1 + e^800) = 800.
    try assertValues(binaryCrossEntropyWithLogits(tensor([-800]), tensor([1])), [800])
    try gradcheck.check("bce_with_logits", [[2, 3], [2, 3]]) { try binaryCrossEntropyWithLogits($0[0], $0[1]) }
    try gradcheck.check("bce_with_logits pos_weight", [[2, 3], [2, 3], [3], [3]], positive: true) {
      try binaryCrossEntropyWithLogits($0[0], $0[1], weight: $0[2], positiveWeight: $0[3], reduction: .sum)
    }
    try checkForwardMatchesReverse("bce_with_logits", [[3, 2], [3, 2]]) {
      try binaryCrossEntropyWithLogits($0[0], $0[1])
    }
  }

  func testClassificationLosses() throws {
    let logits = try mul(seeded([5, 4], seed: 4), 2)
    let labels = try tensor([2, 0, -100, 3, 1], dtype: .int64)
    let ls = try logits.toArray()
    let labelValues = [2, 0, -100, 3, 1]
    // log-softmax rows written out.
    let logp = (0..<5).flatMap { r -> [Double] in
      let row = Array(ls[(r * 4)..<(r * 4 + 4)])
      let top = row.max()!
      let lse = top + Glibc.log(row.map { Glibc.exp($0 - top) }.reduce(0, +))
      return row.map { $0 - lse }
    }
    let kept = labelValues.map { $0 == -100 ? 0.0 : 1.0 }
    let nll = (0..<5).map { r in labelValues[r] == -100 ? 0 : -logp[r * 4 + labelValues[r]] }
    let smoothing = 0.2
    let smoothed = (0..<5).map { r in
      kept[r] * ((1 - smoothing) * nll[r] + smoothing * -(logp[(r * 4)..<(r * 4 + 4)].reduce(0, +) / 4))
    }
    let logProbabilities = try tensor(logp, shape: [5, 4])
    try assertValues(nllLoss(logProbabilities, labels, reduction: .elementwise), nll)
    try assertValues(nllLoss(logProbabilities, labels, reduction: .sum), [nll.reduce(0, +)])
    try assertValues(nllLoss(logProbabilities, labels), [nll.reduce(0, +) / 4])  // the ignored sample is not counted
    try assertValues(crossEntropy(logits, labels), [nll.reduce(0, +) / 4], tolerance: 1e-10)
    try assertValues(
      crossEntropy(logits, labels, labelSmoothing: smoothing), [smoothed.reduce(0, +) / 4], tolerance: 1e-10)
    try assertValues(
      crossEntropy(logits, labels, reduction: .elementwise, labelSmoothing: smoothing), smoothed, tolerance: 1e-10)
    // Another ignore index (then -100 is an ordinary, out-of-range label); all ignored gives 0, not NaN.
    let otherLabels = try tensor([2, 0, 1, 3, 1], dtype: .int64)
    let otherNll = [2, 0, 1].indices.map { r in -logp[r * 4 + [2, 0, 1][r]] } + [-logp[4 * 4 + 1]]
    try assertValues(crossEntropy(logits, otherLabels, ignoreIndex: 3), [otherNll.reduce(0, +) / 4], tolerance: 1e-10)
    assertThrows(.index, "index -100 is out of bounds") { try crossEntropy(logits, labels, ignoreIndex: 3) }
    let allIgnored = try tensor([-100, -100, -100, -100, -100], dtype: .int64)
    XCTAssertEqual(try crossEntropy(logits, allIgnored).scalarValue(), 0)

    try gradcheck.check("nll_loss", [[5, 4]]) { try nllLoss($0[0], labels) }
    try gradcheck.check("cross_entropy", [[5, 4]]) { try crossEntropy($0[0], labels) }
    try gradcheck.check("cross_entropy smoothed", [[5, 4]]) {
      try crossEntropy($0[0], labels, reduction: .sum, labelSmoothing: 0.1)
    }
    try checkForwardMatchesReverse("cross_entropy", [[5, 4]]) { try crossEntropy($0[0], labels, labelSmoothing: 0.3) }
  }

  func testLossErrors() throws {
    let x = try zeros([3, 4])
    assertThrows(.value, "(3, 4) differs from target shape (3, 1)") { try mseLoss(x, zeros([3, 1])) }
    assertThrows(.value, "(3, 4) differs from target shape (4,)") { try huberLoss(x, zeros([4])) }
    assertThrows(.value, "delta must be positive") { try huberLoss(x, x, delta: 0) }
    assertThrows(.value, "differs") { try binaryCrossEntropyWithLogits(x, zeros([4, 3])) }
    let labels = try tensor([0, 1, 3], dtype: .int64)
    assertThrows(.type, "dtype float64") { try nllLoss(x, zeros([3])) }
    assertThrows(.value, "(3, 4) and (2,)") { try crossEntropy(x, tensor([0, 1], dtype: .int64)) }
    assertThrows(.value, "(12,) and (3,)") { try crossEntropy(reshape(x, [12]), labels) }
    assertThrows(.index, "4") { try nllLoss(x, tensor([0, 4, 1], dtype: .int64)) }
    XCTAssertThrowsError(try LossReduction(named: "average", op: "mse_loss")) { error in
      XCTAssertEqual(
        (error as? SGError)?.message, "mse_loss: reduction must be 'mean', 'sum' or 'none', got 'average'")
    }
    XCTAssertEqual(try LossReduction(named: "none", op: "l"), .elementwise)
  }

  func testOneHotAndEmbedding() throws {
    let labels = try tensor([2, 0, 3, 2, 1, 0], shape: [2, 3], dtype: .int64)
    let values = [2, 0, 3, 2, 1, 0]
    let hot = try oneHot(labels)
    XCTAssertEqual(hot.shape, [2, 3, 4])  // classes inferred: max + 1
    XCTAssertEqual(hot.dtype, .float64)
    XCTAssertEqual(try hot.toArray(), values.flatMap { v in (0..<4).map { $0 == v ? 1.0 : 0.0 } })
    let wide = try oneHot(labels, numClasses: 6, dtype: .int64)
    XCTAssertEqual(wide.dtype, .int64)
    XCTAssertEqual(try wide.toArray(), values.flatMap { v in (0..<6).map { $0 == v ? 1.0 : 0.0 } })
    XCTAssertEqual(try oneHot(labels, numClasses: -1).shape, [2, 3, 4])
    XCTAssertEqual(try oneHot(zeros([0], dtype: .int64)).shape, [0, 0])
    assertThrows(.value, "labels must be in [0, 3), got values from 0 to 3") { try oneHot(labels, numClasses: 3) }
    assertThrows(.value, "got values from -1 to 0") { try oneHot(tensor([-1, 0], dtype: .int64), numClasses: 2) }
    assertThrows(.type, "got dtype float64") { try oneHot(tensor([1])) }
    assertThrows(.value, "too large") { try oneHot(int64Tensor([Int.max], shape: [1])) }
    assertThrows(.value, "(1, 4611686018427387905) does not fit in memory") {
      try oneHot(tensor([Double(1 << 62)], dtype: .int64))
    }

    let table = try seeded([4, 3], seed: 5)
    let rows = try embedding(labels, table)
    XCTAssertEqual(rows.shape, [2, 3, 3])
    let entries = try table.toArray()
    XCTAssertEqual(try rows.toArray(), values.flatMap { entries[($0 * 3)..<($0 * 3 + 3)] })
    // Repeated indices: the row's gradient sums its uses.
    try gradcheck.check("embedding", [[4, 3]]) { try embedding(labels, $0[0]) }
    assertThrows(.index, "index 4 is out of bounds") { try embedding(tensor([4], dtype: .int64), table) }
  }

  func testNonzeroAndArgwhere() throws {
    let raw: [Double] = [0, 1.5, -0.0, .nan, 0, -2, 0, 0, 7, 0, 0, 1]
    let x = try tensor(raw, shape: [2, 3, 2])
    var expected: [[Int]] = []
    for i in 0..<2 {
      for j in 0..<3 {
        for k in 0..<2 where raw[(i * 3 + j) * 2 + k] != 0 || raw[(i * 3 + j) * 2 + k].isNaN {
          expected.append([i, j, k])
        }
      }
    }
    let perAxis = try nonzero(x)
    XCTAssertEqual(perAxis.count, 3)
    for axis in 0..<3 {
      XCTAssertEqual(perAxis[axis].dtype, .int64)
      XCTAssertEqual(try perAxis[axis].toArray(), expected.map { Double($0[axis]) })
    }
    let rows = try argwhere(x)
    XCTAssertEqual(rows.shape, [expected.count, 3])
    XCTAssertEqual(try rows.toArray(), expected.flatMap { $0.map(Double.init) })
    XCTAssertEqual(try argwhere(tensor([3], shape: [])).shape, [1, 0])
    XCTAssertEqual(try argwhere(tensor([0], shape: [])).shape, [0, 0])
    XCTAssertEqual(try argwhere(zeros([2, 0])).shape, [0, 2])
    XCTAssertEqual(try nonzero(tensor([1, 0, 1], dtype: .bool))[0].toArray(), [0, 2])
    // A strided (flipped) view: the first axis counts from the other end.
    let flipped = expected.map { [1 - $0[0], $0[1], $0[2]] }.sorted { $0.lexicographicallyPrecedes($1) }
    XCTAssertEqual(try argwhere(flip(x, axes: [0])).toArray(), flipped.flatMap { $0.map(Double.init) })
    assertThrows(.value, "0d arrays") { try nonzero(tensor([1], shape: []))[0] }
    let recorder = ProgramRecorder()
    let placeholder = recorder.addInput(x)
    XCTAssertThrowsError(try recorder.record { try argwhere(placeholder) }) { error in
      XCTAssertEqual((error as? SGError)?.kind, .runtime)
    }
  }

  func testLogicalOperators() throws {
    let a = try tensor([0, 1, -0.5, .nan], shape: [4, 1])
    let b = try tensor([0, 3, 0], dtype: .int64)
    let truthA = [false, true, true, true], truthB = [false, true, false]
    func table(_ op: (Bool, Bool) -> Bool) -> [Double] {
      truthA.flatMap { p in truthB.map { q in op(p, q) ? 1 : 0 } }
    }
    let and = try logicalAnd(a, b), or = try logicalOr(a, b), xor = try logicalXor(a, b)
    for (result, expected) in [(and, table { $0 && $1 }), (or, table { $0 || $1 }), (xor, table { $0 != $1 })] {
      XCTAssertEqual(result.dtype, .bool)
      XCTAssertEqual(result.shape, [4, 3])
      XCTAssertEqual(try result.toArray(), expected)
    }
    XCTAssertEqual(try logicalNot(a).toArray(), truthA.map { $0 ? 0 : 1 })
    assertThrows(.value, "shapes (2,) (3,)") { try logicalOr(zeros([2]), zeros([3])) }
    assertThrows(.value, "shapes (2,) (3,)") { try logicalXor(zeros([2]), zeros([3])) }
  }
}
