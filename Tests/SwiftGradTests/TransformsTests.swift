import XCTest

@testable import SwiftGrad

final class TransformsTests: XCTestCase {
  func num(_ v: Double) throws -> Tensor { try tensor([v], shape: []) }

  func assertClose(_ a: Tensor, _ b: [Double], tol: Double = 1e-12, file: StaticString = #filePath,
    line: UInt = #line) throws {
    let values = try a.toArray()
    XCTAssertEqual(values.count, b.count, file: file, line: line)
    for (x, y) in zip(values, b) { XCTAssertEqual(x, y, accuracy: tol * (1 + Swift.abs(y)), file: file, line: line) }
  }

  /// The course notes' forward-mode trace: dy/dx1 = 5.5 at (2, 5).
  func testCourseNotesForwardTrace() throws {
    let f: ([Tensor]) throws -> Tensor = { x in try sub(add(log(x[0]), mul(x[0], x[1])), sin(x[1])) }
    let (y, dy) = try jvp(f, at: [num(2), num(5)], tangents: [num(1), num(0)])
    XCTAssertEqual(try y.scalarValue(), Glibc.log(2.0) + 10 - Glibc.sin(5.0), accuracy: 1e-12)
    XCTAssertEqual(try dy.scalarValue(), 5.5)
  }

  /// argumentNumbers (JAX's argnums) and hasAux-style auxiliary values.
  func testArgumentNumbersAndAuxiliaryValues() throws {
    let f: ([Tensor]) throws -> Tensor = { x in try sub(add(log(x[0]), mul(x[0], x[1])), sin(x[1])) }
    let primals = [try num(2), try num(5)]
    let both = try gradient(of: f, argumentNumbers: [0, 1])(primals)
    try assertClose(both[0], [5.5])
    try assertClose(both[1], [2 - Glibc.cos(5.0)])
    let second = try valueAndGradient(of: f, argumentNumbers: [-1])(primals)
    XCTAssertEqual(second.gradients.count, 1)
    try assertClose(second.gradients[0], [2 - Glibc.cos(5.0)])
    try assertClose(second.value, [Glibc.log(2.0) + 10 - Glibc.sin(5.0)])
    XCTAssertThrowsError(try gradient(of: f, argumentNumbers: [2])(primals))
    XCTAssertThrowsError(try gradient(of: f, argumentNumbers: [0, -2])(primals))
    XCTAssertThrowsError(try gradient(of: f, argumentNumbers: [])(primals))

    let (value, aux, grads) = try valueAndGradient(at: primals) { x -> (Tensor, Double) in
      let y = try mul(x[0], x[1])
      return (y, try y.scalarValue() * 2)
    }
    try assertClose(value, [10])
    XCTAssertEqual(aux, 20)
    try assertClose(grads[0], [5])
    try assertClose(grads[1], [2])
  }

  func testNestedDerivativesOfX4() throws {
    let f: (Tensor) throws -> Tensor = { x in try pow(x, self.num(4)) }
    var g = f
    var reverse: [Double] = []
    for _ in 0..<4 {
      g = gradient(of: g)
      reverse.append(try g(num(2)).scalarValue())
    }
    XCTAssertEqual(reverse, [32, 48, 48, 24])
    // Forward over forward over reverse over reverse.
    let d: (@escaping (Tensor) throws -> Tensor) -> (Tensor) throws -> Tensor = { h in
      { x in try jvp({ try h($0[0]) }, at: [x], tangents: [self.num(1)]).tangent }
    }
    XCTAssertEqual(try d(d(gradient(of: gradient(of: f))))(num(2)).scalarValue(), 24)
  }

  /// d/dx [x * d/dy (x + y)] = 1 with either mode inside and outside.
  func testNoPerturbationConfusion() throws {
    let innerForward: (Tensor) throws -> Tensor = { x in
      try jvp({ try add(x, $0[0]) }, at: [self.num(1)], tangents: [self.num(1)]).tangent
    }
    let innerReverse: (Tensor) throws -> Tensor = { x in try gradient(of: { try add(x, $0) })(self.num(1)) }
    for inner in [innerForward, innerReverse] {
      let g: (Tensor) throws -> Tensor = { x in try mul(x, inner(x)) }
      XCTAssertEqual(try gradient(of: g)(num(3)).scalarValue(), 1)
      XCTAssertEqual(try jvp({ try g($0[0]) }, at: [num(3)], tangents: [num(1)]).tangent.scalarValue(), 1)
    }
  }

  func testHessianMatchesJacrevOfJacrevAndHvp() throws {
    let n = 12
    let a = try Random.normal([n, n], mean: 0, std: 0.3, dtype: .float64)
    let f: (Tensor) throws -> Tensor = { x in try add(sum(square(tanh(matmul(a, x)))), sum(pow(x, self.num(3)))) }
    let x = try Random.normal([n], mean: 0, std: 1, dtype: .float64)
    let h = try hessian(of: f)(x)
    XCTAssertEqual(h.shape, [n, n])
    try assertClose(h, try jacrev(jacrev(f))(x).toArray())
    let v = try Random.normal([n], mean: 0, std: 1, dtype: .float64)
    let (_, hv) = try hvp(f, at: x, tangent: v)
    try assertClose(hv, try matmul(h, v).toArray(), tol: 1e-10)
  }

  /// hvp of 1/2 x^T A^T A x + b^T x is A^T A v.
  func testHvpOfQuadratic() throws {
    let a = try tensor([1, 2, 3, 4, 5, 6], shape: [3, 2])
    let b = try tensor([0.5, -1], shape: [2])
    let f: (Tensor) throws -> Tensor = { x in try add(mul(sum(square(matmul(a, x))), 0.5), sum(mul(b, x))) }
    let (value, hv) = try hvp(f, at: try tensor([1, -1], shape: [2]), tangent: try tensor([2, 1], shape: [2]))
    // A^T A = [[35, 44], [44, 56]]
    try assertClose(hv, [35 * 2 + 44, 44 * 2 + 56])
    XCTAssertEqual(try value.scalarValue(), 0.5 * (1 + 1 + 1) + 1.5)
  }

  func testJacobiansFollowJaxShapesAndAgree() throws {
    let w = try Random.normal([2, 3, 4], mean: 0, std: 1, dtype: .float64)
    let f: (Tensor) throws -> Tensor = { x in try tanh(sum(mul(w, x), axes: [-1])) }
    let x = try Random.normal([4], mean: 0, std: 1, dtype: .float64)
    let jf = try jacfwd(f)(x)
    XCTAssertEqual(jf.shape, [2, 3, 4])
    try assertClose(try jacrev(f)(x), try jf.toArray())
    try assertClose(try jacobian(f)(x), try jf.toArray())
    let wide: (Tensor) throws -> Tensor = { x in try concatenate([x, x, x]) }
    try assertClose(try jacobian(wide)(try tensor([1, 2], shape: [2])),
      try jacrev(wide)(try tensor([1, 2], shape: [2])).toArray())
  }

  func testVjpPullbackIsReusableAndGradOfJvpMatchesJvpOfGrad() throws {
    let x = try tensor([0.3, -0.2, 0.9], shape: [3])
    let f: ([Tensor]) throws -> Tensor = { try sin(mul($0[0], $0[0])) }
    let (_, pullback) = try vjp(f, at: [x])
    let v = try tensor([1, 2, 3], shape: [3])
    let first = try pullback(v)[0].toArray()
    try assertClose(try pullback(v)[0], first)
    let expected = zip(try x.toArray(), [1.0, 2, 3]).map { xi, vi in vi * 2 * xi * Glibc.cos(xi * xi) }
    try assertClose(try pullback(v)[0], expected)

    let s: (Tensor) throws -> Tensor = { x in try sum(sin(mul(x, x))) }
    let t = try tensor([1, 0.5, -1], shape: [3])
    let jvpOfGrad = try jvp({ try gradient(of: s)($0[0]) }, at: [x], tangents: [t]).tangent
    let gradOfJvp = try gradient(of: { x in try jvp({ try s($0[0]) }, at: [x], tangents: [t]).tangent })(x)
    try assertClose(gradOfJvp, try jvpOfGrad.toArray())
  }

  func testLinearizeReusesOneEvaluation() throws {
    var calls = 0
    let f: (Tensor) throws -> Tensor = { x in
      calls += 1
      return try mul(exp(x), sum(x))
    }
    let x = try tensor([0.1, 0.2], shape: [2])
    let (_, lin) = try linearize(f, at: x)
    for t in [try tensor([1, 0], shape: [2]), try tensor([0.3, -2], shape: [2])] {
      let direct = try jvp({ try f($0[0]) }, at: [x], tangents: [t]).tangent.toArray()
      try assertClose(try lin(t), direct)
    }
    XCTAssertEqual(calls, 3)
  }

  func testIntegerOutputsHaveZeroTangentsAndIntegerInputsAreConstants() throws {
    let x = try tensor([1, -2], shape: [2])
    let (out, t) = try jvp({ try greater($0[0], 0) }, at: [x], tangents: [try tensor([1, 1], shape: [2])])
    XCTAssertEqual(out.dtype, .bool)
    XCTAssertEqual(try t.toArray(), [0, 0])
    let ints = try tensor([1, 2], shape: [2], dtype: .int64)
    let (_, ti) = try jvp({ try mul($0[0], 2) }, at: [ints], tangents: [try tensor([1, 1], shape: [2])])
    XCTAssertEqual(try ti.toArray(), [0, 0])
    XCTAssertThrowsError(try gradient(of: { try sum($0) })(ints))
    XCTAssertThrowsError(try gradient(of: { $0 })(x))  // not a scalar output
  }
}

extension TransformsTests {
  /// The Swift example of docs/TRANSFORMS.md.
  func testDocsExample() throws {
    let f: (Tensor) throws -> Tensor = { x in try sum(pow(x, scalar(3))) }
    let x = try tensor([1, 2, 3], shape: [3])
    try assertClose(try gradient(of: f)(x), [3, 12, 27])
    try assertClose(try hessian(of: f)(x), [6, 0, 0, 0, 12, 0, 0, 0, 18])
    let (_, hv) = try hvp(f, at: x, tangent: try ones([3]))
    try assertClose(hv, [6, 12, 18])
    let (y, dy) = try jvp({ try sin($0[0]) }, at: [x], tangents: [try ones([3])])
    try assertClose(y, [1.0, 2, 3].map { Glibc.sin($0) })
    try assertClose(dy, [1.0, 2, 3].map { Glibc.cos($0) })
  }
}

extension TransformsTests {
  /// Note [No cycles through tangents]: intermediates of a recorded forward-mode computation
  /// are freed once the results are dropped.
  func testForwardOverReverseLeavesNoCycles() throws {
    weak var probe: Tensor?
    let f: (Tensor) throws -> Tensor = { x in
      let e = try exp(tanh(x))
      probe = e
      return try sum(div(e, add(mul(x, x), 1)))
    }
    do {
      let x = try tensor([0.1, 0.2, 0.3], shape: [3])
      let (_, hv) = try hvp(f, at: x, tangent: try ones([3]))
      XCTAssertEqual(hv.count, 3)
      let g = try gradient(of: { x in try jvp({ try f($0[0]) }, at: [x], tangents: [try ones([3])]).tangent })(x)
      XCTAssertEqual(g.count, 3)
    }
    XCTAssertNil(probe)
  }
}
