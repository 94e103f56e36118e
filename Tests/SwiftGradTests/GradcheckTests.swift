import XCTest

@testable import SwiftGrad

/// Every primitive, first and second order, checked from Swift against float64 central
/// differences (the Python op table does the same through the C ABI).
final class GradcheckTests: XCTestCase {
  /// Deterministic inputs in (-1.5, 1.5) or (0.5, 2), away from 0 when asked (kinks, poles).
  func inputs(_ shapes: [[Int]], positive: Bool, awayFromZero: Bool, seed: UInt64) throws -> [Tensor] {
    Random.seed(seed)
    return try shapes.map { shape in
      var values = try Random.uniform(shape, low: positive ? 0.5 : -1.5, high: positive ? 2 : 1.5).toArray()
      if awayFromZero { values = values.map { Swift.abs($0) < 0.2 ? $0 + ($0 >= 0 ? 0.3 : -0.3) : $0 } }
      return try tensor(values, shape: shape)
    }
  }

  /// L(x) = sum(f(x) * w) for fixed random w: its gradient is the VJP of f with cotangent w.
  func scalarized(_ f: @escaping ([Tensor]) throws -> Tensor, weightsSeed: UInt64) -> ([Tensor]) throws -> Tensor {
    { xs in
      let y = try f(xs)
      Random.seed(weightsSeed)
      return try sum(mul(y, Random.normal(y.shape)))
    }
  }

  func numericalGradients(_ f: ([Tensor]) throws -> Tensor, at xs: [Tensor], eps: Double = 1e-6) throws -> [[Double]] {
    try xs.indices.map { k in
      let base = try xs[k].toArray()
      return try base.indices.map { i in
        func value(_ delta: Double) throws -> Double {
          var shifted = base
          shifted[i] += delta
          var args = xs
          args[k] = try tensor(shifted, shape: xs[k].shape)
          return try withoutGrad { try f(args).scalarValue() }
        }
        return (try value(eps) - value(-eps)) / (2 * eps)
      }
    }
  }

  func assertClose(_ analytic: [Tensor?], _ numerical: [[Double]], _ what: String, tol: Double) throws {
    for (k, expected) in numerical.enumerated() {
      let got = try analytic[k].map { try $0.toArray() } ?? Array(repeating: 0, count: expected.count)
      for (a, n) in zip(got, expected) {
        XCTAssertEqual(a, n, accuracy: tol * (1 + Swift.abs(n)), "\(what): input \(k)")
      }
    }
  }

  func check(
    _ name: String, _ shapes: [[Int]], positive: Bool = false, awayFromZero: Bool = false,
    _ f: @escaping ([Tensor]) throws -> Tensor
  ) throws {
    let loss = scalarized(f, weightsSeed: 7)
    // First order.
    let xs = try inputs(shapes, positive: positive, awayFromZero: awayFromZero, seed: 1)
    for x in xs { try x.setRequiresGrad(true) }
    let grads = try Backward.gradients(of: [loss(xs)], withRespectTo: xs, allowUnused: true)
    try assertClose(grads, numericalGradients(loss, at: xs), "\(name) first order", tol: 1e-6)
    // Second order: the gradient of <grad L(x), v> for a fixed random v.
    let secondOrder: ([Tensor]) throws -> Tensor = { args in
      let leaves = try args.map { a -> Tensor in
        if a.requiresGrad { return a }  // the analytic pass differentiates through to `a`
        let leaf = a.detach()
        try leaf.setRequiresGrad(true)
        return leaf
      }
      let g = try GradMode.with(enabled: true) {
        try Backward.gradients(of: [loss(leaves)], withRespectTo: leaves, createGraph: true, allowUnused: true)
      }
      Random.seed(11)
      var total = try full([], 0)
      for (gi, leaf) in zip(g, leaves) {
        guard let gi else { continue }
        total = try add(total, sum(mul(gi, Random.normal(leaf.shape))))
      }
      return total
    }
    let ys = try inputs(shapes, positive: positive, awayFromZero: awayFromZero, seed: 2)
    for y in ys { try y.setRequiresGrad(true) }
    let second: [Tensor?] = try GradMode.with(enabled: true) {
      let value = try secondOrder(ys)
      // A function linear in its inputs has a constant gradient: nothing was recorded, and
      // the second derivative is zero (which the numerical side must confirm).
      guard value.requiresGrad else { return ys.map { _ in nil } }
      return try Backward.gradients(of: [value], withRespectTo: ys, allowUnused: true)
    }
    try assertClose(second, numericalGradients(secondOrder, at: ys), "\(name) second order", tol: 1e-5)
  }

  /// Every case of the table below, first and second order.
  func testEveryCase() throws {
    for c in Self.cases {
      try check(c.operation, c.shapes, positive: c.positive, awayFromZero: c.awayFromZero, c.function)
    }
  }

  /// Indexing is the Tensor protocol's, not an operation of the table.
  func testIndexing() throws {
    try check("index", [[3, 4, 2]]) { xs in
      try index(xs[0], [.slice(start: 1, stop: nil, step: nil), .slice(start: nil, stop: nil, step: -2), .newAxis,
                        .index(0)])
    }
    try check("fancy index", [[3, 4]]) { xs in
      try index(xs[0], [AdvancedIndexItem.basic(.slice(start: nil, stop: nil, step: nil)),
                        .array(tensor([1, 3, 1], dtype: .int64))])
    }
  }

  /// Note [One op table]: a differentiable operation without a case here fails this test.
  func testEveryDifferentiableOperationHasACase() {
    let covered = Set(Self.cases.map(\.operation))
    let missing = Operation.all.filter { $0.isDifferentiable && !covered.contains($0.name) }.map(\.name)
    XCTAssertEqual(missing, [], "operations without a Swift gradcheck case")
    let unknown = covered.filter { Operation.named($0) == nil }
    XCTAssertEqual(unknown, [], "cases naming no operation")
  }

  /// Central differences cannot see through float32 rounding, so the cast rule is checked
  /// exactly: the cotangent is converted back to the input's dtype.
  func testCastRule() throws {
    let x = try tensor([0.1, 0.2, 0.3])
    try x.setRequiresGrad(true)
    let y = try cast(x, to: .float32)
    XCTAssertEqual(y.dtype, .float32)
    let w = try tensor([1.5, -2.25, 3.125], dtype: .float32)
    let (g) = try Backward.gradients(of: [sum(mul(y, w))], withRespectTo: [x], createGraph: true)
    XCTAssertEqual(g[0]?.dtype, .float64)
    XCTAssertEqual(try g[0]?.toArray(), [1.5, -2.25, 3.125])
  }
}
