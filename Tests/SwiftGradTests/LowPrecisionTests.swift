import CBLAS
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

  /// The bfloat16 GEMMs (Note [Low-precision GEMM]) agree with widening to float32: the same
  /// float32 products up to the order of the sums, rounded once. On a CPU without AVX512-BF16
  /// "native" must fall back to widening.
  func testBFloat16GemmKernelsAgreeWithWidening() throws {
    let (m, k, n) = (29, 801, 37)  // past one reduction block, partial row and column panels
    let a = try tensor((0..<(m * k)).map { Double(($0 * 7919) % 61) / 61 - 0.5 }, shape: [m, k], dtype: .float32)
      .converted(to: .bfloat16)
    let b = try tensor((0..<(k * n)).map { Double(($0 * 104_729) % 53) / 53 - 0.5 }, shape: [k, n], dtype: .float32)
      .converted(to: .bfloat16)
    defer { unsetenv("SWIFTGRAD_BF16_GEMM") }
    setenv("SWIFTGRAD_BF16_GEMM", "off", 1)
    XCTAssertEqual(BFloat16Gemm.current, .widen)
    let widened = try matmul(a, b).converted(to: .float64).toArray()
    setenv("SWIFTGRAD_BF16_GEMM", "native", 1)
    XCTAssertEqual(BFloat16Gemm.current, sg_bf16_gemm_cpu_supported() != 0 ? .native : .widen)
    let native = try matmul(a, b).converted(to: .float64).toArray()
    // (B^T A^T)^T with both operands handed over transposed: the same sums, so the same bits.
    let viaTransposes = try transpose(matmul(transpose(b), transpose(a))).converted(to: .float64).toArray()
    XCTAssertEqual(viaTransposes, native)
    XCTAssertEqual(native.count, m * n)
    for (x, y) in zip(widened, native) {
      XCTAssertEqual(x, y, accuracy: Swift.abs(x) * 0x1p-8 + 1e-6)
    }
  }
}
