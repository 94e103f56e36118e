import Foundation
import XCTest

@testable import SwiftGrad

/// The core of row-sparse gradients and blocked attention, without the Python layer.
final class SparseAndAttentionTests: XCTestCase {
  /// Backward of a sparse embedding leaves a row-sparse `.grad` whose dense value is the
  /// scatter-add of the cotangent rows; a second backward appends, coalescing sums duplicates.
  func testSparseEmbeddingGradientAccumulatesAndCoalesces() throws {
    let w = try tensor([1, 2, 3, 4, 5, 6], shape: [3, 2])
    try w.setRequiresGrad(true)
    let rows = try tensor([2, 0, 2], dtype: .int64)
    for _ in 0..<2 { try sum(mul(embedding(rows, w, sparseGradient: true), 3.0)).backward() }
    let g = try XCTUnwrap(w.grad)
    XCTAssertTrue(g.isSparse)
    XCTAssertEqual(g.shape, [3, 2])
    XCTAssertEqual(try XCTUnwrap(g.sparseRows).indices.toArray(), [2, 0, 2, 2, 0, 2])
    XCTAssertEqual(try g.coalesced().sparseRows?.indices.toArray(), [0, 2])
    // Every use contributes 3 per element: row 0 used twice, row 2 four times, row 1 never.
    XCTAssertEqual(try g.coalesced().sparseRows?.dense().toArray(), [6, 6, 0, 0, 12, 12])
    XCTAssertEqual(try mul(g, 1.0).toArray(), [6, 6, 0, 0, 12, 12])  // dense ops see the dense value
    XCTAssertThrowsError(try DirectWrite.fill(g, 0))
  }

  func testRowSparseConstructionValidatesInsteadOfTrapping() throws {
    let outOfRange = try tensor([0, 5], dtype: .int64)
    XCTAssertThrowsError(try Tensor.rowSparse(indices: outOfRange, values: zeros([2, 2]), rowCount: 3))
    XCTAssertThrowsError(try Tensor.rowSparse(indices: tensor([0, 1]), values: zeros([2, 2]), rowCount: 3))
    XCTAssertThrowsError(try Tensor.rowSparse(indices: tensor([0], dtype: .int64), values: zeros([2, 2]), rowCount: 3))
  }

  /// SparseAdam moves only the touched rows, each by about lr on the first step.
  func testSparseAdamTouchesOnlyTheGradientRows() throws {
    let p = try zeros([4, 1])
    let g = try Tensor.rowSparse(
      indices: tensor([1, 3], dtype: .int64), values: tensor([2, -5], shape: [2, 1]), rowCount: 4)
    try Optimizers.sparseAdamStep(
      parameter: p, gradient: g, expAvg: zeros([4, 1]), expAvgSq: zeros([4, 1]), step: 1, learningRate: 0.1,
      beta1: 0.9, beta2: 0.999, eps: 1e-8, maximize: false)
    let moved = try p.toArray()
    XCTAssertEqual(moved[0], 0)
    XCTAssertEqual(moved[1], -0.1, accuracy: 1e-6)
    XCTAssertEqual(moved[2], 0)
    XCTAssertEqual(moved[3], 0.1, accuracy: 1e-6)
  }

  /// The blocked primitive against softmax(q k^T / sqrt(E)) v, values and gradients, across
  /// several key blocks with a causal mask.
  func testBlockedAttentionMatchesTheComposite() throws {
    let (l, s, e) = (270, 600, 4)  // more than one query and one key block
    func values(_ n: Int, _ phase: Double) -> [Double] { (0..<n).map { Foundation.sin(Double($0) * 0.37 + phase) } }
    let q = try tensor(values(l * e, 0), shape: [l, e])
    let k = try tensor(values(s * e, 1), shape: [s, e])
    let v = try tensor(values(s * 3, 2), shape: [s, 3])
    for t in [q, k, v] { try t.setRequiresGrad(true) }
    let blocked = try scaledDotProductAttention(q, k, v, isCausal: true)
    var keep = [Double](repeating: 0, count: l * s)
    for i in 0..<l { for j in 0...min(i, s - 1) { keep[i * s + j] = 1 } }
    let mask = try notEqual(tensor(keep, shape: [l, s]), scalar(0))
    let scores = try `where`(mask, mul(matmul(q, swapaxes(k, 0, 1)), 0.5), full([], -.infinity))
    let naive = try matmul(softmax(scores, axis: -1), v)
    for (a, b) in zip(try blocked.toArray(), try naive.toArray()) { XCTAssertEqual(a, b, accuracy: 1e-12) }
    let weights = try tensor(values(l * 3, 3), shape: [l, 3])
    let got = try Backward.gradients(of: [sum(mul(blocked, weights))], withRespectTo: [q, k, v])
    let want = try Backward.gradients(of: [sum(mul(naive, weights))], withRespectTo: [q, k, v])
    for (a, b) in zip(got, want) {
      for (x, y) in zip(try XCTUnwrap(a).toArray(), try XCTUnwrap(b).toArray()) {
        XCTAssertEqual(x, y, accuracy: 1e-12)
      }
    }
    XCTAssertThrowsError(try scaledDotProductAttention(q, v, v))  // E mismatch: an error, not a trap
  }
}
