import XCTest

@testable import SwiftGrad

/// The sweep's bookkeeping (Note [Identity table], Note [Backward sweep]): numbering, and saved
/// values freed as soon as the sweep is past them.
final class BackwardSweepTests: XCTestCase {
  func testIdentityTableNumbersObjectsInInsertionOrderAcrossGrowth() throws {
    let objects = try (0..<1000).map { _ in try tensor([1.0]) }
    var table = IdentityTable(minimumCapacity: 4)
    for (i, o) in objects.enumerated() {
      let (inserted, number) = table.insert(o)
      XCTAssertTrue(inserted)
      XCTAssertEqual(number, i)
    }
    XCTAssertEqual(table.count, objects.count)
    for (i, o) in objects.enumerated() {
      XCTAssertEqual(table.number(of: o), i)
      let again = table.insert(o)
      XCTAssertFalse(again.inserted)
      XCTAssertEqual(again.number, i)
    }
    XCTAssertNil(table.number(of: try tensor([2.0])))
  }

  /// The leaf's hook runs when the sweep reaches the leaf, after every intermediate tensor: by then
  /// none of them may still be alive (the sweep used to hold all of them until it ended).
  func testIntermediatesAreFreedBeforeTheSweepEnds() throws {
    let x = try tensor([0.5, -0.25, 1.5])
    try x.setRequiresGrad(true)
    var intermediates: [Weak] = []
    var y = x
    for _ in 0..<6 {
      y = try tanh(mul(y, 1.5))
      intermediates.append(Weak(y))
    }
    let loss = try sum(y)
    y = x
    var aliveAtLeaf = -1
    x.registerHook { _ in
      aliveAtLeaf = intermediates.filter { $0.value != nil }.count
      return nil
    }
    try loss.backward()
    XCTAssertEqual(aliveAtLeaf, 0)
    let expected = try Backward.gradients(of: [sum(chain(x))], withRespectTo: [x])[0]!
    XCTAssertEqual(try x.grad!.toArray(), try expected.toArray())
  }

  /// The same graph reached from two roots and through shared inputs: each tensor is numbered
  /// once, and cotangents from every consumer are summed.
  func testSharedInputsAndSeveralRoots() throws {
    let x = try tensor([0.3, 0.7])
    try x.setRequiresGrad(true)
    let shared = try mul(x, x)
    let a = try sum(sin(shared))
    let b = try sum(mul(shared, 3))
    let g = try Backward.gradients(of: [a, b], withRespectTo: [x])[0]!
    let xs = try x.toArray()
    let expected = xs.map { 2 * $0 * Glibc.cos($0 * $0) + 6 * $0 }
    for (got, want) in zip(try g.toArray(), expected) { XCTAssertEqual(got, want, accuracy: 1e-14) }
  }

  private func chain(_ x: Tensor) throws -> Tensor {
    var y = x
    for _ in 0..<6 { y = try tanh(mul(y, 1.5)) }
    return y
  }
}

private final class Weak {
  weak var value: Tensor?
  init(_ value: Tensor) { self.value = value }
}
