import XCTest

@testable import SwiftGrad

/// The dtype layer (Note [The dtype layer]) and the 16-bit conversions (Note [Low-precision forward]).
final class LowPrecisionTests: XCTestCase {
  func testPromotionTable() {
    let cases: [(DType, DType, DType)] = [
      (.bfloat16, .float16, .float32), (.bfloat16, .float32, .float32), (.float16, .float64, .float64),
      (.bfloat16, .int64, .bfloat16), (.float16, .bool, .float16), (.int64, .float32, .float32),
      (.bool, .int64, .int64), (.float32, .float64, .float64), (.bfloat16, .bfloat16, .bfloat16),
    ]
    for (a, b, want) in cases {
      XCTAssertEqual(DType.promote(a, b), want, "\(a) + \(b)")
      XCTAssertEqual(DType.promote(b, a), want, "\(b) + \(a)")
    }
    XCTAssertEqual(DType.bfloat16.computeDType, .float32)
    XCTAssertTrue(DType.float16.isLowPrecision && !DType.float32.isLowPrecision)
    XCTAssertEqual(DType.bfloat16.kind, .float)
  }

  /// Every float16 bit pattern widens exactly and narrows back to itself (NaNs stay NaN).
  func testFloat16RoundTripsEveryBitPattern() {
    for bits in 0...UInt16.max {
      let f = LowPrecision.float(halfBits: bits)
      let back = LowPrecision.halfBits(f.bitPattern)
      if f.isNaN {
        XCTAssertTrue(LowPrecision.float(halfBits: back).isNaN)
      } else {
        XCTAssertEqual(back, bits, "float16 bits \(bits)")
      }
    }
  }

  /// float32 -> float16/bfloat16 rounds to nearest even: checked against the exact midpoint rule
  /// computed in Double from the two neighbouring 16-bit values.
  func testNarrowingRoundsToNearestEven() {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<20000 {
      let x = Float(bitPattern: UInt32.random(in: 0...0x4770_0000, using: &generator))
      let h = LowPrecision.halfBits(x.bitPattern)
      let b = BFloat16(x).bitPattern
      for (bits, widen) in [
        (h, { (v: UInt16) in LowPrecision.float(halfBits: v) }), (b, { (v: UInt16) in BFloat16(bitPattern: v).float }),
      ] {
        func distance(_ v: UInt16) -> Double {
          let d = Swift.abs(Double(widen(v)) - Double(x))
          return d.isNaN ? .infinity : d
        }
        let (error, below, above) = (distance(bits), bits == 0 ? .infinity : distance(bits &- 1), distance(bits &+ 1))
        XCTAssertLessThanOrEqual(error, below, "\(x)")
        XCTAssertLessThanOrEqual(error, above, "\(x)")
        if error == above || error == below {
          XCTAssertEqual(bits & 1, 0, "a tie of \(x) rounds to even")
        }
      }
    }
  }

  func testOpsComputeInFloat32AndRoundOnce() throws {
    let x = try tensor([1, 2, 3, 4096], dtype: .bfloat16)
    let y = try exp(x)
    XCTAssertEqual(y.dtype, .bfloat16)
    let want = try exp(x.converted(to: .float32)).converted(to: .bfloat16)
    XCTAssertEqual(try y.toArray(), try want.toArray())
    XCTAssertEqual(try sum(ones([4096], dtype: .bfloat16)).toArray(), [4096])
  }
}
