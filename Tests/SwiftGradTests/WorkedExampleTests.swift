import XCTest

@testable import SwiftGrad

final class WorkedExampleTests: XCTestCase {
  /// y = ln(x1) + x1*x2 - sin(x2) at (2, 5), the course notes' worked example.
  func testCourseNotesExample() throws {
    let x1 = try tensor([2.0], shape: [])
    let x2 = try tensor([5.0], shape: [])
    try x1.setRequiresGrad(true)
    try x2.setRequiresGrad(true)
    let y = try sub(add(log(x1), mul(x1, x2)), sin(x2))
    try y.backward()
    XCTAssertEqual(try y.scalarValue(), Glibc.log(2.0) + 10 - Glibc.sin(5.0), accuracy: 1e-12)
    XCTAssertEqual(try x1.grad!.scalarValue(), 5.5, accuracy: 1e-12)
    XCTAssertEqual(try x2.grad!.scalarValue(), 2 - Glibc.cos(5.0), accuracy: 1e-12)
  }
}
