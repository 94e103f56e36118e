import Foundation
import XCTest

@testable import SwiftGrad

/// Taylor mode from Swift (Note [Jet levels]): closed forms, nested jvp, custom functions.
final class JetTests: XCTestCase {
  func values(_ t: Tensor) throws -> [Double] { try t.toArray() }

  /// exp along the line x + t v: every derivative term is e^x v^k.
  func testExpAlongALine() throws {
    let x = try tensor([0.5, -1.0], shape: [2])
    let v = try tensor([1.0, 2.0], shape: [2])
    let zero = try zeros([2])
    let (y, terms) = try jet({ try exp($0[0]) }, primals: [x], series: [[v, zero, zero]])
    XCTAssertEqual(terms.count, 3)
    for (k, term) in terms.enumerated() {
      for (i, value) in try values(term).enumerated() {
        let xi = [0.5, -1.0][i]
        let vi = [1.0, 2.0][i]
        XCTAssertEqual(value, Foundation.exp(xi) * Foundation.pow(vi, Double(k + 1)), accuracy: 1e-12)
      }
    }
    XCTAssertEqual(try values(y), [Foundation.exp(0.5), Foundation.exp(-1.0)])
  }

  /// A small network: every order up to 4 equals nested jvp.
  func testMatchesNestedJVP() throws {
    let w = try tensor([0.3, -0.5, 0.8, 0.1, -0.2, 0.7], shape: [3, 2])
    let f: ([Tensor]) throws -> Tensor = { try sum(tanh(matmul(sin($0[0]), w))) }
    let x = try tensor([0.1, 0.4, -0.5], shape: [1, 3])
    let v = try tensor([0.3, -0.2, 0.9], shape: [1, 3])
    let zero = try zeros([1, 3])
    let (_, terms) = try jet(f, primals: [x], series: [[v, zero, zero, zero]])
    var g = f
    for k in 0..<4 {
      let inner = g
      g = { try SwiftGrad.jvp(inner, at: $0, tangents: [v]).tangent }
      XCTAssertEqual(try terms[k].scalarValue(), try g([x]).scalarValue(), accuracy: 1e-11)
    }
  }

  /// A custom function gets order 1 from its JVP rule; order 2 needs a Taylor rule.
  func testCustomFunctionOrders() throws {
    let x = try tensor([0.3], shape: [1])
    let v = try tensor([2.0], shape: [1])
    func f(_ xs: [Tensor], taylor: CustomFunction.TaylorRule?) throws -> Tensor {
      let out = try GradMode.with(enabled: false) { try exp(xs[0].detach()) }
      return try customFunction("myexp", inputs: xs, output: out, vjp: nil,
        jvp: { p, t in try t[0].map { try mul($0, exp(p[0])) } }, taylor: taylor)
    }
    let (_, first) = try jet({ try f($0, taylor: nil) }, primals: [x], series: [[v]])
    XCTAssertEqual(try first[0].scalarValue(), 2 * Foundation.exp(0.3), accuracy: 1e-12)
    XCTAssertThrowsError(try jet({ try f($0, taylor: nil) }, primals: [x], series: [[v, v]])) { error in
      XCTAssertTrue("\(error)".contains("[jet] custom function 'myexp'"), "\(error)")
    }
    // A Taylor rule for exp: coefficients of exp(x(t)) by its recurrence, through the public ops.
    let rule: CustomFunction.TaylorRule = { primals, series in
      try recurrence(primals, exp(primals[0]), series) { xs, ys, k in try odeTerm(xs, ys, k) }
    }
    let (_, terms) = try jet({ try f($0, taylor: rule) }, primals: [x], series: [[v, try zeros([1])]])
    XCTAssertEqual(try terms[1].scalarValue(), 4 * Foundation.exp(0.3), accuracy: 1e-12)
  }

  func testBadSeries() throws {
    let x = try tensor([0.3], shape: [1])
    XCTAssertThrowsError(try jet({ try exp($0[0]) }, primals: [x], series: []))
    XCTAssertThrowsError(try jet({ try exp($0[0]) }, primals: [x], series: [[try zeros([2])]]))
    XCTAssertThrowsError(try jet({ try mul($0[0], $0[1]) }, primals: [x, x], series: [[x], [x, x]]))
  }
}
