import XCTest

@testable import SwiftGrad

/// Custom primitives from Swift closures: each rule alone serves both modes (by transposition).
final class CustomTests: XCTestCase {
  func sinWith(vjp: Bool, jvp: Bool, _ x: Tensor) throws -> Tensor {
    let value = try withoutGrad { try sin(x.detach()) }
    return try customFunction(
      "sin", inputs: [x], output: value,
      vjp: vjp ? { g in [try mul(g, cos(x))] } : nil,
      jvp: jvp ? { primals, tangents in try tangents[0].map { try mul($0, cos(primals[0])) } } : nil)
  }

  func testEachRuleServesBothModesAndSecondOrder() throws {
    for (useVJP, useJVP) in [(true, false), (false, true), (true, true)] {
      let x = try tensor([0.3, -1.2, 2.0])
      try x.setRequiresGrad(true)
      let y = try sinWith(vjp: useVJP, jvp: useJVP, x)
      let g = try Backward.gradients(of: [sum(y)], withRespectTo: [x], createGraph: true)[0]!
      XCTAssertEqual(try g.toArray(), [0.3, -1.2, 2.0].map { Glibc.cos($0) })
      let h = try Backward.gradients(of: [sum(g)], withRespectTo: [x])[0]!
      for (a, b) in zip(try h.toArray(),
        [0.3, -1.2, 2.0].map { -Glibc.sin($0) }) { XCTAssertEqual(a, b, accuracy: 1e-14) }
      let (_, tangent) = try jvp({ try sinWith(vjp: useVJP, jvp: useJVP, $0[0]) }, at: [tensor([0.5])],
        tangents: [tensor([2.0])])
      XCTAssertEqual(try tangent.scalarValue(), 2 * Glibc.cos(0.5), accuracy: 1e-14)
    }
  }

  func testRuleErrorsPropagateAndLabelsShow() throws {
    struct Boom: Error {}
    let x = try tensor([1.0])
    try x.setRequiresGrad(true)
    let y = try customFunction("boom", inputs: [x], output: x.detach(), vjp: { _ in throw Boom() }, jvp: nil)
    XCTAssertThrowsError(try sum(y).backward()) { XCTAssertTrue($0 is Boom) }
    XCTAssertThrowsError(try customFunction("none", inputs: [x], output: x, vjp: nil, jvp: nil))
  }
}
