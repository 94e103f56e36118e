import XCTest

@testable import SwiftGrad

/// The integer dtypes int8...uint64 (Note [The dtype layer], Note [Low-precision forward]).
final class IntegerDTypeTests: XCTestCase {
  func testKindsSizesAndPromotion() {
    let sizes: [DType: Int] = [.int8: 1, .int16: 2, .int32: 4, .uint8: 1, .uint16: 2, .uint32: 4, .uint64: 8]
    for (d, size) in sizes {
      XCTAssertEqual(d.itemSize, size, "\(d)")
      XCTAssertEqual(d.computeDType, .int64, "\(d)")
      XCTAssertTrue(d.isStorageOnly && !d.isLowPrecision && d.isInteger, "\(d)")
    }
    let cases: [(DType, DType, DType)] = [
      (.int8, .uint8, .int16), (.int16, .uint16, .int32), (.int32, .uint32, .int64), (.int8, .uint32, .int64),
      (.int16, .uint8, .int16), (.int64, .uint64, .float64), (.int8, .uint64, .float64), (.uint8, .uint16, .uint16),
      (.int8, .int32, .int32), (.bool, .int8, .int8), (.bool, .uint8, .uint8), (.int32, .float32, .float32),
      (.uint64, .bfloat16, .bfloat16),
    ]
    for (a, b, want) in cases {
      XCTAssertEqual(DType.promote(a, b), want, "\(a) + \(b)")
      XCTAssertEqual(DType.promote(b, a), want, "\(b) + \(a)")
    }
  }

  func testArithmeticWrapsAtTheWidth() throws {
    let a = try cast(tensor([127, -128, 5], dtype: .int64), to: .int8)
    let total = try add(a, cast(tensor([1, -1, 3], dtype: .int64), to: .int8))
    XCTAssertEqual(total.dtype, .int8)
    XCTAssertEqual(try total.toArray(), [-128, 127, 8])
    let u = try cast(tensor([0, 255], dtype: .int64), to: .uint8)
    XCTAssertEqual(try sub(u, cast(tensor([1, 0], dtype: .int64), to: .uint8)).toArray(), [255, 255])
    XCTAssertEqual(try sum(u).dtype, .uint64)  // the array API's default for unsigned sums
    XCTAssertEqual(try sum(a).dtype, .int64)
    XCTAssertEqual(try sum(a).toArray(), [4])
  }

  func testUInt64AboveTwoToThe63() throws {
    let big = try Tensor(uninitializedShape: [3], dtype: .uint64)
    let p = big.pointer(UInt64.self)
    (p[0], p[1], p[2]) = (UInt64.max, 1 << 63, 5)
    XCTAssertEqual(try cast(big, to: .float64).toArray(), [0x1p64, 0x1p63, 5])
    let three = try cast(tensor([3, 3, 3], dtype: .int64), to: .uint64)
    XCTAssertEqual(try cast(less(big, three), to: .float64).toArray(), [0, 0, 0])
    let q = try floorDivide(big, three)
    XCTAssertEqual(q.pointer(UInt64.self)[0], UInt64.max / 3)
    XCTAssertEqual(q.pointer(UInt64.self)[1], (1 << 63) / 3)
    let m = try SwiftGrad.max(big)
    XCTAssertEqual(m.dtype, .uint64)
    XCTAssertEqual(m.pointer(UInt64.self)[0], UInt64.max)
  }
}
