import XCTest

@testable import SwiftGrad

final class OptimTests: XCTestCase {
  /// Two SGD steps with momentum 0.9 and weight decay, against the formulas worked by hand.
  func testSGDMomentumUpdatesInPlace() throws {
    let p = try tensor([1.0, -2.0])
    let g = try tensor([0.5, 0.25])
    let buffer = try zeros([2])
    var o = Optimizers.SGDOptions(learningRate: 0.1)
    o.momentum = 0.9
    o.weightDecay = 0.1
    let version = p.storage.version
    try Optimizers.sgdStep(parameter: p, gradient: g, momentumBuffer: buffer, firstStep: true, options: o)
    // d = g + 0.1 p = (0.6, 0.05); buf = d; p -= 0.1 d
    for (got, want) in zip(try p.toArray() + buffer.toArray(), [1.0 - 0.06, -2.0 - 0.005, 0.6, 0.05]) {
      XCTAssertEqual(got, want, accuracy: 1e-15)
    }
    XCTAssertEqual(p.storage.version, version + 1)
    try Optimizers.sgdStep(parameter: p, gradient: g, momentumBuffer: buffer, firstStep: false, options: o)
    let d = [0.5 + 0.1 * 0.94, 0.25 + 0.1 * -2.005]
    let b = [0.9 * 0.6 + d[0], 0.9 * 0.05 + d[1]]
    XCTAssertEqual(try buffer.toArray()[0], b[0], accuracy: 1e-15)
    XCTAssertEqual(try p.toArray()[1], -2.005 - 0.1 * b[1], accuracy: 1e-15)
  }

  /// Adam's first step moves every coordinate by lr (times the sign of the gradient).
  func testAdamFirstStepIsLearningRateSized() throws {
    let p = try tensor([1.0, 2.0, 3.0])
    let g = try tensor([10.0, -0.001, 3.0])
    let (m, v) = (try zeros([3]), try zeros([3]))
    try Optimizers.adamStep(
      parameter: p, gradient: g, expAvg: m, expAvgSq: v, maxExpAvgSq: nil, step: 1,
      options: .init(learningRate: 0.01))
    let moved = zip(try p.toArray(), [1.0, 2.0, 3.0]).map { $0 - $1 }
    XCTAssertEqual(moved[0], -0.01, accuracy: 1e-9)
    XCTAssertEqual(moved[1], 0.01, accuracy: 1e-6)
    XCTAssertEqual(moved[2], -0.01, accuracy: 1e-9)
  }

  func testMismatchedOperandsThrowInsteadOfTrapping() throws {
    let p = try tensor([1.0, 2.0])
    XCTAssertThrowsError(
      try Optimizers.sgdStep(
        parameter: p, gradient: try tensor([1.0]), momentumBuffer: nil, firstStep: false,
        options: .init(learningRate: 0.1)))
    XCTAssertThrowsError(
      try Optimizers.sgdStep(
        parameter: p, gradient: try tensor([1.0, 2.0], dtype: .float32), momentumBuffer: nil,
        firstStep: false, options: .init(learningRate: 0.1)))
    XCTAssertThrowsError(
      try Optimizers.adamStep(
        parameter: p, gradient: try tensor([1.0, 2.0]), expAvg: try zeros([3]), expAvgSq: try zeros([2]),
        maxExpAvgSq: nil, step: 1, options: .init(learningRate: 0.1)))
  }

  /// Node ids follow recording order; the topological order lists inputs first.
  func testGraphIntrospection() throws {
    let x = try tensor([2.0], shape: [])
    try x.setRequiresGrad(true)
    let a = try log(x)
    let b = try mul(a, x)
    let order = GraphIntrospection.topologicalOrder(b)
    XCTAssertTrue(order.first === x)
    XCTAssertTrue(order.last === b)
    XCTAssertLessThan(GraphIntrospection.nodeID(of: a)!, GraphIntrospection.nodeID(of: b)!)
    XCTAssertNil(GraphIntrospection.nodeID(of: x))
    XCTAssertEqual(GraphIntrospection.inputs(of: b).count, 2)
  }
}
