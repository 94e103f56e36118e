import XCTest

@testable import SwiftGrad

/// complex64/complex128 (Note [The dtype layer], Note [Complex dtypes]).
final class ComplexTests: XCTestCase {
  private func complexTensor(_ values: [(Double, Double)], dtype: DType = .complex128) throws -> Tensor {
    let t = try Tensor(uninitializedShape: [values.count], dtype: .complex128)
    let p = t.pointer(Complex<Double>.self)
    for (i, v) in values.enumerated() { p[i] = Complex(v.0, v.1) }
    return try cast(t, to: dtype)
  }

  private func parts(_ t: Tensor) throws -> [(Double, Double)] {
    let d = try cast(t, to: .complex128).densified()
    let p = d.pointer(Complex<Double>.self)
    return (0..<d.count).map { (p[$0].re, p[$0].im) }
  }

  func testKindsSizesAndPromotion() {
    XCTAssertEqual(DType.complex64.itemSize, 8)
    XCTAssertEqual(DType.complex128.itemSize, 16)
    XCTAssertEqual(DType.complex64.realPart, .float32)
    XCTAssertTrue(DType.complex64.isComplex && DType.complex64.isInexact && !DType.complex64.isStorageOnly)
    let cases: [(DType, DType, DType)] = [
      (.float32, .complex64, .complex64), (.float64, .complex64, .complex128), (.float16, .complex64, .complex64),
      (.int64, .complex64, .complex64), (.bool, .complex128, .complex128), (.complex64, .complex128, .complex128),
      (.uint64, .complex64, .complex64),
    ]
    for (a, b, want) in cases {
      XCTAssertEqual(DType.promote(a, b), want, "\(a) + \(b)")
      XCTAssertEqual(DType.promote(b, a), want, "\(b) + \(a)")
    }
  }

  func testCastsKeepOrDropTheImaginaryPart() throws {
    let z = try complexTensor([(1.5, -2), (0, 3)])
    XCTAssertEqual(try cast(z, to: .float64).toArray(), [1.5, 0])
    XCTAssertEqual(try cast(cast(z, to: .bool), to: .float64).toArray(), [1, 1])  // 3i is true
    let back = try parts(cast(cast(z, to: .complex64), to: .complex128))
    XCTAssertEqual(back.map(\.0), [1.5, 0])
    XCTAssertEqual(back.map(\.1), [-2, 3])
    XCTAssertEqual(try parts(cast(tensor([2, -1]), to: .complex64)).map(\.1), [0, 0])
  }

  func testMultiplyAndTheGradientConvention() throws {
    let z = try complexTensor([(1, 2), (3, -1)])
    let w = try complexTensor([(0.5, -1), (2, 2)])
    let y = try parts(mul(z, w))
    XCTAssertEqual(y[0].0, 1 * 0.5 - 2 * -1)
    XCTAssertEqual(y[0].1, 1 * -1 + 2 * 0.5)
    // L = sum(re(z * w)): dL/dz = conj(w) in PyTorch's convention.
    let zg = try complexTensor([(1, 2), (3, -1)])
    try zg.setRequiresGrad(true)
    try sum(real(mul(zg, w))).backward()
    let g = try parts(XCTUnwrap(zg.grad))
    XCTAssertEqual(g.map(\.0), [0.5, 2])
    XCTAssertEqual(g.map(\.1), [1, -2])
  }

  /// The DFT of [1, 2, 3] (a Bluestein length) and of [1, 2, 3, 4] (radix 2); the gradient of a real
  /// loss re(sum(c * fft(x))) is the adjoint transform of conj(c), conj(F) conj(c) = conj(F c).
  func testFourierTransformsAndTheirGradients() throws {
    let three = try parts(fft(tensor([1, 2, 3])))
    let h = 0.8660254037844386
    for (got, want) in zip(three, [(6.0, 0.0), (-1.5, h), (-1.5, -h)]) {
      XCTAssertEqual(got.0, want.0, accuracy: 1e-14)
      XCTAssertEqual(got.1, want.1, accuracy: 1e-14)
    }
    let four = try parts(fft(tensor([1, 2, 3, 4])))
    for (got, want) in zip(four, [(10.0, 0.0), (-2, 2), (-2, 0), (-2, -2)]) {
      XCTAssertEqual(got.0, want.0, accuracy: 1e-14)
      XCTAssertEqual(got.1, want.1, accuracy: 1e-14)
    }
    let signal: [Double] = [1, -2, 0.5, 3, 2]
    for (got, want) in zip(try irfft(rfft(tensor(signal)), n: 5).toArray(), signal) {
      XCTAssertEqual(got, want, accuracy: 1e-14)
    }
    let x = try tensor([0.5, -1, 2])
    try x.setRequiresGrad(true)
    let c = try complexTensor([(1, 1), (0, -2), (3, 0.5)])
    try sum(real(mul(fft(x), c))).backward()
    let expected = try real(fft(c))  // re(conj(F c)): x is real, so the gradient's real part
    for (g, e) in zip(try XCTUnwrap(x.grad).toArray(), try expected.toArray()) { XCTAssertEqual(g, e, accuracy: 1e-13) }
  }

  func testUnsupportedOpsThrowTypeErrors() throws {
    let z = try complexTensor([(1, 2)])
    XCTAssertThrowsError(try erf(z)) { error in
      XCTAssertEqual((error as? SGError)?.kind, .type)
      XCTAssertTrue((error as? SGError)?.message.contains("erf does not support complex") ?? false, "\(error)")
    }
    XCTAssertThrowsError(try less(z, z))
  }
}
