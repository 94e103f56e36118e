import XCTest

@testable import SwiftGrad

/// Each graph pass on its own, on small recorded graphs (Sources/SwiftGrad/Compile).
final class ProgramPassTests: XCTestCase {
  func vector(_ values: [Double]) throws -> Tensor { try tensor(values, shape: [values.count]) }

  /// Records `body` on one input of `values`; returns the recorder and the fetched value ids.
  func record(_ values: [Double], _ body: (Tensor) throws -> [Tensor]) throws -> (ProgramRecorder, [Int]) {
    let recorder = ProgramRecorder()
    let x = recorder.addInput(try vector(values))
    let outputs = try recorder.record { try body(x) }
    return (recorder, try outputs.map(recorder.value(of:)))
  }

  func testRecordingIsTopologicallyOrderedAndReplays() throws {
    let (recorder, outputs) = try record([0.5, 1.0]) { x in [try add(sin(x), mul(x, x))] }
    XCTAssertTrue(ProgramPasses.isTopologicallyOrdered(recorder.graph))
    XCTAssertEqual(recorder.graph.nodes.map(\.name), ["sin", "mul", "add"])
    let compiled = try CompiledProgram(recorder.graph, outputs: outputs)
    let y = try compiled.run([try vector([2, 3])])[0].toArray()
    XCTAssertEqual(y, [Glibc.sin(2.0) + 4, Glibc.sin(3.0) + 9])
  }

  func testDeadCodeElimination() throws {
    let (recorder, outputs) = try record([1, 2]) { x in
      _ = try exp(x)  // unused
      return [try sin(x)]
    }
    let graph = recorder.graph
    XCTAssertEqual(ProgramPasses.eliminateDeadCode(graph, outputs: outputs), 1)
    XCTAssertEqual(graph.nodes.map(\.name), ["sin"])
    XCTAssertTrue(ProgramPasses.isTopologicallyOrdered(graph))
  }

  func testCommonSubexpressionElimination() throws {
    var (recorder, outputs) = try record([1, 2]) { x in
      [try add(sum(x, axes: [0]), sum(x, axes: [0])), try sum(x, axes: [0], keepDims: true)]
    }
    let graph = recorder.graph
    // The two equal sums merge; the keepDims one differs in an attribute and stays.
    XCTAssertEqual(ProgramPasses.eliminateCommonSubexpressions(graph, outputs: &outputs), 1)
    XCTAssertEqual(ProgramPasses.eliminateDeadCode(graph, outputs: outputs), 1)
    XCTAssertEqual(graph.nodes.map(\.name), ["sum", "add", "sum"])
  }

  func testConstantFoldingOnlyFoldsImmutableConstants() throws {
    let captured = try vector([1, 1])
    let (recorder, outputs) = try record([1, 2]) { x in
      let readOnly = try scalar(2)
      readOnly.storage.isReadOnly = true
      let folded = try mul(readOnly, scalar(3).withReadOnlyStorage())  // both immutable: folded
      return [try add(mul(x, folded), mul(captured, folded))]  // captured: not folded
    }
    let graph = recorder.graph
    XCTAssertEqual(try ProgramPasses.foldConstants(graph), 1)
    XCTAssertEqual(graph.nodes.map(\.name), ["mul", "mul", "add"])
    let compiled = try CompiledProgram(graph, outputs: outputs)
    XCTAssertEqual(try compiled.run([try vector([1, 2])])[0].toArray(), [12, 18])
  }

  func testElementwiseFusionGroupsAndResultsMatchEager() throws {
    let body: (Tensor) throws -> [Tensor] = { x in
      let t = try tanh(x)
      let chain = try sin(add(mul(t, 1.5), 0.25))
      return [try sum(chain, axes: [0]), try mul(chain, t)]
    }
    let (recorder, outputs) = try record([0.1, 0.2, 0.3]) { try body($0) }
    let plan = FusionPlan(recorder.graph, outputs: outputs)
    // tanh, mul, add, sin form one loop; `sum` reads `chain` before the final mul is reached,
    // which seals the group (the mul alone is not worth a loop of its own).
    XCTAssertEqual(plan.groups.map(\.count), [4])
    let compiled = try CompiledProgram(recorder.graph, outputs: outputs)
    XCTAssertEqual(compiled.fusedGroupCount, 1)
    let input = try vector([0.7, -0.2, 1.3])
    let eager = try body(input)
    for (got, want) in zip(try compiled.run([input]), eager) { XCTAssertEqual(try got.toArray(), try want.toArray()) }
  }

  func testFusionStopsAtAnOutsideReader() throws {
    // `s` reads `a` before `b` is made; `b` joining a's group would run it after `s`.
    let (recorder, outputs) = try record([1, 2]) { x in
      let a = try exp(x)
      let s = try sum(a, axes: [0], keepDims: true)
      let b = try mul(a, s)
      return [try sin(b)]
    }
    let plan = FusionPlan(recorder.graph, outputs: outputs)
    XCTAssertEqual(plan.groups.map { $0.map { recorder.graph.nodes[$0].name } }, [["mul", "sin"]])
    let compiled = try CompiledProgram(recorder.graph, outputs: outputs)
    let e = [Glibc.exp(1.0), Glibc.exp(2.0)]
    let y = try compiled.run([try vector([1, 2])])[0].toArray()
    XCTAssertEqual(y, e.map { Glibc.sin($0 * (e[0] + e[1])) })
  }

  func testMemoryPlanFreesIntermediatesAndRecordedReplayIsDifferentiable() throws {
    let (recorder, outputs) = try record([1, 2]) { x in [try sum(matmul(reshape(x, [2, 1]), reshape(x, [1, 2])))] }
    let compiled = try CompiledProgram(recorder.graph, outputs: outputs)
    XCTAssertTrue(compiled.passReport.contains { $0.pass == "memory plan" })
    let x = try vector([3, 4])
    try x.setRequiresGrad(true)
    let y = try compiled.call([x])[0]
    XCTAssertTrue(y.requiresGrad)
    try y.backward()
    XCTAssertEqual(try x.grad?.toArray(), [14, 14])  // d/dx (sum x)^2 = 2 sum x
  }

  func testBadFeedsThrow() throws {
    let (recorder, outputs) = try record([1, 2]) { x in [try exp(x)] }
    let compiled = try CompiledProgram(recorder.graph, outputs: outputs)
    XCTAssertThrowsError(try compiled.run([try vector([1, 2, 3])]))
    XCTAssertThrowsError(try compiled.run([]))
    XCTAssertThrowsError(try CompiledProgram(recorder.graph, outputs: [99]))
  }
}

extension Tensor {
  fileprivate func withReadOnlyStorage() -> Tensor {
    storage.isReadOnly = true
    return self
  }
}
