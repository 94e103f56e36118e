import XCTest

@testable import SwiftGrad

/// `vmap` in the Swift core: batched results equal per-example results, and it composes.
final class BatchingTests: XCTestCase {
  func assertClose(
    _ a: Tensor, _ b: Tensor, tol: Double = 1e-12, file: StaticString = #filePath, line: UInt = #line
  ) throws {
    XCTAssertEqual(a.shape, b.shape, file: file, line: line)
    for (x, y) in zip(try a.toArray(), try b.toArray()) {
      XCTAssertEqual(x, y, accuracy: tol * (1 + Swift.abs(y)), file: file, line: line)
    }
  }

  /// The per-example results stacked along axis 0.
  func stackedLoop(_ f: (Tensor) throws -> Tensor, _ xs: Tensor) throws -> Tensor {
    try stack((0..<xs.shape[0]).map { try f(index(xs, [IndexItem.index($0)])) })
  }

  func testVmapEqualsTheLoop() throws {
    let w = try Random.normal([3, 4])
    let xs = try Random.normal([5, 3])
    let f: (Tensor) throws -> Tensor = { x in try sum(tanh(matmul(x, w)), axes: [0]) }
    try assertClose(try vmap(f)(xs), try stackedLoop(f, xs))
    // axis 1 in, axis -1 out
    let moved = try vmap(f, inAxis: 1, outAxis: -1)(transpose(xs))
    try assertClose(moved, try stackedLoop(f, xs))
  }

  func testPerSampleGradientsAndGradientOfVmap() throws {
    let w = try Random.normal([3, 4])
    let xs = try Random.normal([5, 3])
    let loss: ([Tensor]) throws -> Tensor = { a in try sum(square(tanh(matmul(a[1], a[0])))) }
    let perExample = gradient(of: loss, argumentNumbers: [0])
    let perSample = try vmap({ a in [try perExample(a)[0]] }, inAxes: [nil, 0])([w, xs])[0]
    XCTAssertEqual(perSample.shape, [5, 3, 4])
    for i in 0..<5 {
      let g = try gradient(of: loss, argumentNumbers: [0])([w, index(xs, [.index(i)])])[0]
      try assertClose(try index(perSample, [.index(i)]), g)
    }
    let total = try gradient(of: { w in try sum(vmap({ a in [try loss(a)] }, inAxes: [nil, 0])([w, xs])[0]) })(w)
    try assertClose(total, try gradient(of: { w in try loss([w, xs]) })(w))
  }

  func testJacobiansAreOneBatchedPass() throws {
    let w = try Random.normal([2, 3, 4])
    let f: (Tensor) throws -> Tensor = { x in try tanh(sum(mul(w, x), axes: [-1])) }
    let x = try Random.normal([4])
    let loop = try stack((0..<4).map { i in
      try jvp({ try f($0[0]) }, at: [x], tangents: [Transforms.basis(i, shape: [4], dtype: .float64)]).tangent
    }, axis: -1)
    try assertClose(try jacfwd(f)(x), loop)
    try assertClose(try jacrev(f)(x), loop)
    let cube: (Tensor) throws -> Tensor = { x in try sum(mul(square(x), x)) }
    try assertClose(try hessian(of: cube)(x), try mul(diag(x), 6))
  }

  /// A primitive that states no batching rule: vmap must name it, never loop per example.
  struct NoRule: Primitive {
    static let name = "no_rule"
    func forward(_ inputs: [Tensor]) throws -> Tensor { try inputs[0].cloned() }
    func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor) throws -> [Tensor?] { [cotangent] }
    func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? { tangents[0] }
  }

  func testAPrimitiveWithoutARuleRaisesNamingIt() throws {
    let xs = try Random.normal([4, 3])
    XCTAssertThrowsError(try vmap({ x in try apply(NoRule(), [x]) })(xs)) { error in
      XCTAssertEqual("\(error)", "[vmap] not implemented for no_rule")
    }
    try assertClose(try apply(NoRule(), [xs]), xs)  // unbatched, it runs
  }

  func testErrorsNameTheProblem() throws {
    let xs = try Random.normal([5, 3])
    XCTAssertThrowsError(try vmap({ $0 }, inAxes: [0, 0])([xs, try Random.normal([4, 3])])) { error in
      XCTAssertTrue("\(error)".contains("inconsistent sizes"))
    }
    XCTAssertThrowsError(try vmap({ x in try add(x, 1) }, inAxis: 2)(xs)) { error in
      XCTAssertTrue("\(error)".contains("in_axes 2 is out of range"))
    }
    XCTAssertThrowsError(try vmap({ x in try add(x, Random.normal([3])) })(xs)) { error in
      XCTAssertTrue("\(error)".contains("randomness='error'"))
    }
    XCTAssertThrowsError(try vmap({ x in try tensor([x.scalarValue()]) })(try Random.normal([5]))) { error in
      XCTAssertTrue("\(error)".contains("vmap"))
    }
  }
}
