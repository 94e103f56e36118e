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

  func testUnaryPrimitives() throws {
    let cases: [(String, Bool, Bool, (Tensor) throws -> Tensor)] = [
      ("neg", false, false, neg), ("exp", false, false, exp), ("log", true, false, log),
      ("sin", false, false, sin), ("cos", false, false, cos), ("tan", false, false, tan),
      ("tanh", false, false, tanh), ("sigmoid", false, false, sigmoid), ("relu", false, true, relu),
      ("sqrt", true, false, sqrt), ("abs", false, true, abs), ("log1p", true, false, log1p),
      ("expm1", false, false, expm1), ("square", false, false, square), ("copy", false, false, copy),
    ]
    for (name, positive, away, f) in cases {
      try check(name, [[3, 4]], positive: positive, awayFromZero: away) { try f($0[0]) }
    }
  }

  func testBinaryPrimitives() throws {
    try check("add", [[3, 4], [4]]) { try add($0[0], $0[1]) }
    try check("sub", [[3, 1], [1, 4]]) { try sub($0[0], $0[1]) }
    try check("mul", [[2, 3, 4], [3, 1]]) { try mul($0[0], $0[1]) }
    try check("div", [[3, 4], [3, 4]], awayFromZero: true) { try div($0[0], $0[1]) }
    try check("pow", [[3, 4], [3, 4]], positive: true) { try pow($0[0], $0[1]) }
    try check("maximum", [[3, 4], [4]]) { try maximum($0[0], $0[1]) }
    try check("minimum", [[3, 4], [3, 4]]) { try minimum($0[0], $0[1]) }
    try check("matmul", [[3, 4], [4, 2]]) { try matmul($0[0], $0[1]) }
    try check("matmul batched", [[2, 3, 4], [4, 2]]) { try matmul($0[0], $0[1]) }
    try check("matmul vector", [[4], [4, 3]]) { try matmul($0[0], $0[1]) }
    try check("where", [[3, 4], [3, 1]]) { xs in
      try `where`(greater(tensor([1, -1, 1, -1]), 0), xs[0], xs[1])
    }
  }

  func testReductionsAndShapes() throws {
    try check("sum", [[2, 3, 4]]) { try sum($0[0], axes: [0, 2], keepDims: true) }
    try check("mean", [[3, 4]]) { try mean($0[0], axes: [-1]) }
    try check("max", [[3, 4]]) { try max($0[0], axes: [1]) }
    try check("min", [[3, 4]]) { try min($0[0]) }
    try check("prod", [[3, 4]]) { try prod($0[0], axes: [0]) }
    try check("reshape", [[3, 4]]) { try reshape($0[0], [2, -1]) }
    try check("transpose", [[2, 3, 4]]) { try transpose($0[0], [1, 0, 2]) }
    try check("broadcastTo", [[3, 1]]) { try broadcastTo($0[0], [2, 3, 4]) }
    try check("expandDims/squeeze", [[3, 4]]) { try squeeze(expandDims($0[0], axis: 1)) }
    try check("concatenate", [[3, 2], [3, 4]]) { try concatenate([$0[0], $0[1]], axis: 1) }
    try check("stack", [[3, 2], [3, 2]]) { try stack([$0[0], $0[1]], axis: -1) }
    try check("index", [[3, 4, 2]]) { xs in
      try index(xs[0],
        [.slice(start: 1, stop: nil, step: nil), .slice(start: nil, stop: nil, step: -2), .newAxis, .index(0)])
    }
  }

  /// Decompositions through gauge-invariant functions, first and second order; advanced
  /// indexing, dynamic gathers and im2col as well (gathers, indexing, im2col).
  func testDecompositionsGathersAndWindows() throws {
    let sym: (Tensor) throws -> Tensor = { try add($0, matrixTranspose($0)) }
    try check("eigh values", [[3, 3]]) { try eigh(sym($0[0])).values }
    try check("eigh vectors squared", [[3, 3]]) { try square(eigh(sym($0[0])).vectors) }
    try check("svd values", [[4, 3]]) { try svd($0[0]).s }
    try check("svd U squared", [[4, 3]]) { try square(svd($0[0]).u) }
    try check("svd Vh squared", [[3, 4]]) { try square(svd($0[0]).vh) }
    try check("qr", [[4, 3]]) { xs in let (q, r) = try qr(xs[0]); return try add(sum(square(q)), sum(mul(r, r))) }
    try check("slogdet", [[3, 3]]) { try slogdet($0[0]).logAbsDet }
    try check("pinv", [[4, 3]]) { try pinv($0[0]) }
    try check("fancy index", [[3, 4]]) { xs in
      try index(xs[0],
        [AdvancedIndexItem.basic(.slice(start: nil, stop: nil, step: nil)), .array(tensor([1, 3, 1], dtype: .int64))])
    }
    try check("gather",
      [[3, 4]]) { try gather($0[0], axis: 1, index: tensor([0, 3, 2, 2, 1, 0], shape: [3, 2], dtype: .int64)) }
    try check("im2col", [[1, 2, 4, 4]]) { try im2col($0[0], kernel: (2, 3), stride: (2, 1)) }
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
