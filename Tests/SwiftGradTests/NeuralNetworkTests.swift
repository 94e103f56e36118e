import XCTest

@testable import SwiftGrad

/// The neural-network composites (Composite/ConvolutionLayers, Pooling, Normalization,
/// Dropout): values against direct loops written here, float64 gradchecks of first and second
/// order (GradcheckTests' helpers), forward mode against reverse mode, and bad input.
/// Losses, selection and logical ops are in NeuralNetworkLossTests.swift.
final class NeuralNetworkTests: XCTestCase {
  func testConv2dMatchesDirectLoops() throws {
    // Groups, a rectangular kernel, strides, per-axis padding, dilation and a bias at once.
    let x = try seeded([2, 4, 6, 5], seed: 1)
    let w = try seeded([6, 2, 3, 2], seed: 2)
    let b = try seeded([6], seed: 3)
    let got = try conv2d(x, w, bias: b, stride: (2, 1), padding: .explicit([1, 2]), dilation: (1, 2), groups: 2)
    let expected = try directConv2d(x, w, bias: b, stride: (2, 1), pads: (1, 1, 2, 2), dilation: (1, 2), groups: 2)
    try assertValues(got, expected)

    // "same": dilation * (kernel - 1) in total, the odd element after.
    let w2 = try seeded([3, 4, 2, 3], seed: 4)
    let same = try conv2d(x, w2, padding: .same, dilation: (1, 2))
    XCTAssertEqual(same.shape, [2, 3, 6, 5])
    try assertValues(same, directConv2d(x, w2, bias: nil, stride: (1, 1), pads: (0, 1, 2, 2), dilation: (1, 2)))
    let valid = try conv2d(x, w2, padding: .valid)
    try assertValues(valid, directConv2d(x, w2, bias: nil, stride: (1, 1), pads: (0, 0, 0, 0), dilation: (1, 1)))
    XCTAssertEqual(valid.shape, [2, 3, 5, 3])
  }

  func testConv1dMatchesDirectLoops() throws {
    let x = try seeded([2, 4, 9], seed: 5)
    let w = try seeded([2, 2, 3], seed: 6)
    let b = try seeded([2], seed: 7)
    let got = try conv1d(x, w, bias: b, stride: 2, padding: .explicit([2]), dilation: 2, groups: 2)
    let planar = try directConv2d(
      reshape(x, [2, 4, 1, 9]), reshape(w, [2, 2, 1, 3]), bias: b, stride: (1, 2), pads: (0, 0, 2, 2),
      dilation: (1, 2), groups: 2)
    XCTAssertEqual(got.shape, [2, 2, 5])
    try assertValues(got, planar)
    XCTAssertEqual(try conv1d(x, w, padding: .same, groups: 2).shape, [2, 2, 9])
  }

  func testConvolutionDerivatives() throws {
    try gradcheck.check("conv2d", [[1, 2, 4, 4], [2, 1, 2, 2], [2]]) {
      try conv2d($0[0], $0[1], bias: $0[2], stride: (1, 2), padding: .explicit([1]), groups: 2)
    }
    try gradcheck.check("conv2d same dilated", [[1, 1, 4, 3], [2, 1, 2, 2]]) {
      try conv2d($0[0], $0[1], padding: .same, dilation: (2, 1))
    }
    try gradcheck.check("conv1d", [[2, 2, 5], [3, 2, 2], [3]]) {
      try conv1d($0[0], $0[1], bias: $0[2], stride: 2, padding: .explicit([1]))
    }
    try checkForwardMatchesReverse("conv2d", [[2, 2, 5, 4], [4, 1, 3, 2], [4]]) {
      try conv2d($0[0], $0[1], bias: $0[2], stride: (2, 1), padding: .same, groups: 2)
    }
  }

  func testPoolingMatchesDirectLoops() throws {
    let x = try seeded([2, 3, 5, 6], seed: 8)
    let maxPooled = try maxPool2d(x, kernelSize: (3, 2), stride: (2, 2), padding: (1, 1))
    try assertValues(maxPooled, directPool(x, kernel: (3, 2), stride: (2, 2), padding: (1, 1), max: true))
    let averaged = try avgPool2d(x, kernelSize: (2, 3), padding: (1, 1))
    try assertValues(averaged, directPool(x, kernel: (2, 3), stride: (2, 3), padding: (1, 1), max: false))
    XCTAssertEqual(averaged.shape, [2, 3, 3, 2])  // stride defaults to the kernel size
    // Integers are pooled in float64 (the padding of a max pool is -inf, never a value).
    let integers = try tensor((0..<16).map(Double.init), shape: [1, 1, 4, 4], dtype: .int64)
    let pooled = try maxPool2d(integers, kernelSize: (2, 2), padding: (1, 1))
    XCTAssertEqual(pooled.dtype, .float64)
    XCTAssertEqual(try pooled.toArray(), [0, 2, 3, 8, 10, 11, 12, 14, 15])
  }

  func testPoolingDerivatives() throws {
    try gradcheck.check("max_pool2d", [[1, 2, 4, 5]]) { try maxPool2d($0[0], kernelSize: (2, 3), padding: (1, 1)) }
    try gradcheck.check("avg_pool2d", [[2, 1, 4, 4]]) {
      try avgPool2d($0[0], kernelSize: (3, 3), stride: (1, 2), padding: (1, 1))
    }
    try checkForwardMatchesReverse("max_pool2d", [[2, 2, 5, 5]]) {
      try maxPool2d($0[0], kernelSize: (2, 2), stride: (1, 1))
    }
    try checkForwardMatchesReverse("avg_pool2d", [[2, 2, 5, 5]]) { try avgPool2d($0[0], kernelSize: (2, 2)) }
  }

  func testLayerNormMatchesDirectLoops() throws {
    let x = try seeded([3, 2, 4], seed: 9)
    let weight = try seeded([2, 4], seed: 10)
    let bias = try seeded([4], seed: 11)
    let got = try layerNorm(x, normalizedShape: [2, 4], weight: weight, bias: bias, epsilon: 1e-3)
    let (xs, ws, bs) = (try x.toArray(), try weight.toArray(), try bias.toArray())
    var expected = [Double]()
    for row in 0..<3 {
      let slice = Array(xs[(row * 8)..<(row * 8 + 8)])
      let mu = slice.reduce(0, +) / 8
      let sigma2 = slice.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / 8
      for i in 0..<8 { expected.append((slice[i] - mu) / (sigma2 + 1e-3).squareRoot() * ws[i] + bs[i % 4]) }
    }
    try assertValues(got, expected)
    // No normalised axes: every element is its own group, so the result is 0.
    XCTAssertEqual(try layerNorm(x, normalizedShape: []).toArray(), [Double](repeating: 0, count: 24))
    try gradcheck.check("layer_norm", [[3, 4], [4], [4]]) {
      try layerNorm($0[0], normalizedShape: [4], weight: $0[1], bias: $0[2])
    }
    try checkForwardMatchesReverse("layer_norm", [[2, 3, 4]]) { try layerNorm($0[0], normalizedShape: [3, 4]) }
  }

  func testBatchNormTrainingAndEvaluation() throws {
    let x = try seeded([4, 3, 5], seed: 12)
    let (weight, bias) = (try seeded([3], seed: 13), try seeded([3], seed: 14))
    let runningMean = try tensor([0.5, -1, 2], dtype: .float32)
    let runningVariance = try tensor([1, 2, 0.5], dtype: .float32)
    let trained = try batchNorm(
      x, runningMean: runningMean, runningVariance: runningVariance, weight: weight, bias: bias, training: true,
      momentum: 0.25, epsilon: 1e-4)
    // Per channel over the batch and length axes, written out.
    let xs = try x.toArray()
    var expected = [Double](repeating: 0, count: xs.count)
    var expectedMean = [Double](), expectedVariance = [Double]()
    for c in 0..<3 {
      let members = (0..<4).flatMap { n in (0..<5).map { n * 15 + c * 5 + $0 } }
      let mu = members.map { xs[$0] }.reduce(0, +) / 20
      let sigma2 = members.map { (xs[$0] - mu) * (xs[$0] - mu) }.reduce(0, +) / 20
      for i in members {
        expected[i] = (xs[i] - mu) / (sigma2 + 1e-4).squareRoot() * (try weight.toArray()[c]) + (try bias.toArray()[c])
      }
      expectedMean.append(0.75 * (try runningMean.toArray()[c]) + 0.25 * mu)
      expectedVariance.append(0.75 * (try runningVariance.toArray()[c]) + 0.25 * sigma2 * 20 / 19)
    }
    try assertValues(trained.output, expected)
    // The running statistics come back new, in their own dtype, outside the graph.
    let (newMean, newVariance) = (try XCTUnwrap(trained.runningMean), try XCTUnwrap(trained.runningVariance))
    XCTAssertEqual(newMean.dtype, .float32)
    XCTAssertFalse(newMean.requiresGrad || newVariance.requiresGrad)
    try assertValues(newMean, expectedMean, tolerance: 1e-6)
    try assertValues(newVariance, expectedVariance, tolerance: 1e-6)
    XCTAssertEqual(try runningMean.toArray(), [0.5, -1, 2])  // the inputs are not written

    let evaluated = try batchNorm(x, runningMean: newMean, runningVariance: newVariance, training: false)
    XCTAssertTrue(evaluated.runningMean === newMean)
    let (means, variances) = (try newMean.toArray(), try newVariance.toArray())
    try assertValues(
      evaluated.output, xs.indices.map { i in
        let c = (i / 5) % 3
        return (xs[i] - means[c]) / (variances[c] + 1e-5).squareRoot()
      }, tolerance: 1e-6)
    let statisticsFree = try batchNorm(x, runningMean: nil, runningVariance: nil, training: true)
    XCTAssertNil(statisticsFree.runningMean)
  }

  func testBatchNormDerivatives() throws {
    try gradcheck.check("batch_norm training", [[4, 2, 3], [2], [2]]) {
      try batchNorm($0[0], runningMean: nil, runningVariance: nil, weight: $0[1], bias: $0[2], training: true).output
    }
    let statistics = (try tensor([0.1, -0.2]), try tensor([1.5, 0.7]))
    try gradcheck.check("batch_norm evaluation", [[3, 2, 2, 2], [2]]) {
      try batchNorm($0[0], runningMean: statistics.0, runningVariance: statistics.1, weight: $0[1]).output
    }
    try checkForwardMatchesReverse("batch_norm", [[5, 3], [3], [3]]) {
      try batchNorm($0[0], runningMean: nil, runningVariance: nil, weight: $0[1], bias: $0[2], training: true).output
    }
  }

  func testDropout() throws {
    let x = try ones([100, 100], dtype: .float32)
    Random.seed(42)
    let dropped = try dropout(x, p: 0.3)
    XCTAssertEqual(dropped.dtype, .float32)
    let values = try dropped.toArray()
    let zeroFraction = Double(values.filter { $0 == 0 }.count) / Double(values.count)
    XCTAssertEqual(zeroFraction, 0.3, accuracy: 0.02)  // 10^4 draws: a standard deviation of 0.005
    XCTAssertTrue(values.allSatisfy { $0 == 0 || $0 == Double(Float(1 / 0.7)) })
    Random.seed(42)
    XCTAssertEqual(try dropout(x, p: 0.3).toArray(), values)  // the seed fixes the mask
    XCTAssertTrue(try dropout(x, p: 0.3, training: false) === x)
    XCTAssertTrue(try dropout(x, p: 0) === x)
    XCTAssertEqual(try dropout(x, p: 1).toArray(), [Double](repeating: 0, count: 10_000))
    // The derivative is the same mask and scale (reseeded in every call, so one mask).
    try gradcheck.check("dropout", [[4, 5]]) { xs in
      Random.seed(3)
      return try dropout(xs[0], p: 0.4)
    }
    for bad in [-0.1, 1.5, Double.nan] {
      assertThrows(.value, "p must be in [0, 1]") { try dropout(x, p: bad) }
    }
  }

  func testBadInputThrows() throws {
    let image = try zeros([1, 4, 5, 5])
    assertThrows(.value, "(1, 4, 5, 5) and (2, 3, 5)") { try conv2d(image, zeros([2, 3, 5])) }
    assertThrows(.value, "groups=3") { try conv2d(image, zeros([2, 4, 3, 3]), groups: 3) }
    assertThrows(.value, "groups=2") { try conv2d(image, zeros([2, 4, 3, 3]), groups: 2) }
    assertThrows(.value, "bias of shape (3,)") { try conv2d(image, zeros([2, 4, 3, 3]), bias: zeros([3])) }
    assertThrows(.value, "stride must be positive") { try conv2d(image, zeros([2, 4, 3, 3]), stride: (0, 1)) }
    assertThrows(.value, "dilation must be positive") { try conv2d(image, zeros([2, 4, 3, 3]), dilation: (1, -1)) }
    assertThrows(.value, "non-negative") { try conv2d(image, zeros([2, 4, 3, 3]), padding: .explicit([-1])) }
    let kernel = try zeros([2, 4, 3, 3])
    assertThrows(.value, "one value or 2 values") { try conv2d(image, kernel, padding: .explicit([1, 2, 3])) }
    assertThrows(.value, "larger than") { try conv2d(image, zeros([2, 4, 6, 3])) }
    assertThrows(.value, "too large") { try conv2d(image, kernel, padding: .same, dilation: (Int.max, 1)) }
    assertThrows(.value, "larger than") { try conv2d(image, kernel, dilation: (Int.max, 1)) }
    assertThrows(.value, "larger than") { try im2col(image, kernel: (3, 3), dilation: (1, Int.max / 2)) }
    assertThrows(.value, "too large") { try conv2d(image, zeros([2, 4, 3, 3]), padding: .explicit([Int.max])) }
    assertThrows(.value, "(1, 4, 5, 5) and (2, 4, 3)") { try conv1d(image, zeros([2, 4, 3])) }
    assertThrows(.value, "padding must be one value") {
      try conv1d(zeros([1, 4, 5]), zeros([2, 4, 3]), padding: .explicit([1, 1]))
    }
    assertThrows(.value, "(4, 5)") { try maxPool2d(zeros([4, 5]), kernelSize: (2, 2)) }
    assertThrows(.value, "at most half the kernel") { try maxPool2d(image, kernelSize: (2, 2), padding: (2, 0)) }
    // The max-pool primitives applied directly: bad attributes and indices throw, never trap.
    let pool = WindowGeometry(kernel: (2, 2), stride: (2, 2), dilation: (1, 1))
    assertThrows(.value, "at most half the kernel") {
      try apply(MaxPool2dIndices(geometry: pool, padding: (3, 0)), [image])
    }
    assertThrows(.value, "must be positive") {
      try apply(MaxPool2dIndices(geometry: WindowGeometry(kernel: (0, 2), stride: (1, 1), dilation: (1, 1)),
                                 padding: (0, 0)), [image])
    }
    let badIndices = try tensor([0, 99], shape: [1, 1, 1, 2], dtype: .int64)
    assertThrows(.index, "out of bounds") { try apply(MaxPool2d(), [zeros([1, 1, 2, 2]), badIndices]) }
    assertThrows(.index, "out of bounds") {
      try apply(MaxPool2dBackward(height: 2, width: 2), [zeros([1, 1, 1, 2]), badIndices])
    }
    assertThrows(.value, "does not match") { try apply(MaxPool2d(), [zeros([2, 1, 2, 2]), badIndices]) }
    assertThrows(.value, "non-negative") { try avgPool2d(image, kernelSize: (2, 2), padding: (0, -1)) }
    assertThrows(.value, "kernel_size must be positive") { try avgPool2d(image, kernelSize: (0, 2)) }
    assertThrows(.value, "stride must be positive") { try avgPool2d(image, kernelSize: (2, 2), stride: (1, 0)) }
    assertThrows(.value, "normalized_shape (4,) does not match the trailing dimensions of (1, 4, 5, 5)") {
      try layerNorm(image, normalizedShape: [4])
    }
    assertThrows(.value, "(2, 3, 4, 5)") { try layerNorm(zeros([4, 5]), normalizedShape: [2, 3, 4, 5]) }
    assertThrows(.value, "(5,)") { try batchNorm(zeros([5]), runningMean: nil, runningVariance: nil).output }
    assertThrows(.value, "evaluation needs") { try batchNorm(image, runningMean: nil, runningVariance: nil).output }
    assertThrows(.value, "given together") {
      try batchNorm(image, runningMean: zeros([4]), runningVariance: nil, training: true).output
    }
    assertThrows(.value, "weight of shape (3,)") {
      try batchNorm(image, runningMean: nil, runningVariance: nil, weight: zeros([3]), training: true).output
    }
    assertThrows(.value, "running_var of shape (5,)") {
      try batchNorm(image, runningMean: zeros([4]), runningVariance: zeros([5])).output
    }
  }

  /// Convolution and pooling are recorded by graph mode and replay for new inputs.
  func testConvolutionReplaysInGraphMode() throws {
    let recorder = ProgramRecorder()
    let x = recorder.addInput(try zeros([1, 2, 5, 5]))
    let w = recorder.addInput(try zeros([3, 2, 3, 3]))
    let out = try recorder.record { try maxPool2d(relu(conv2d(x, w, padding: .same)), kernelSize: (2, 2)) }
    let graph = try CompiledProgram(recorder.graph, outputs: [try recorder.value(of: out)])
    let (xs, ws) = (try seeded([1, 2, 5, 5], seed: 20), try seeded([3, 2, 3, 3], seed: 21))
    let eager = try maxPool2d(relu(conv2d(xs, ws, padding: .same)), kernelSize: (2, 2))
    try assertValues(try graph.run([xs, ws])[0], try eager.toArray())
  }
}

// MARK: Helpers shared with NeuralNetworkLossTests

/// GradcheckTests' float64 first- and second-order checks, used from these tests.
let gradcheck = GradcheckTests(name: "neural network gradcheck") { _ in }

/// Values in (-1.5, 1.5), fixed by `seed`.
func seeded(_ shape: [Int], seed: UInt64) throws -> Tensor {
  Random.seed(seed)
  return try Random.uniform(shape, low: -1.5, high: 1.5)
}

func assertValues(
  _ got: Tensor, _ expected: [Double], tolerance: Double = 1e-12, file: StaticString = #filePath, line: UInt = #line
) throws {
  let values = try got.toArray()
  XCTAssertEqual(values.count, expected.count, "element count", file: file, line: line)
  for (i, (a, e)) in zip(values, expected).enumerated() where !(Swift.abs(a - e) <= tolerance * (1 + Swift.abs(e))) {
    XCTFail("element \(i): got \(a), expected \(e)", file: file, line: line)
    return
  }
}

/// `body` throws an SGError of `kind` whose message contains `fragment` (and does not trap).
func assertThrows(
  _ kind: SGError.Kind, _ fragment: String, file: StaticString = #filePath, line: UInt = #line,
  _ body: () throws -> Tensor
) {
  do {
    _ = try body()
    XCTFail("expected an error containing '\(fragment)'", file: file, line: line)
  } catch let error as SGError {
    XCTAssertEqual(error.kind, kind, error.message, file: file, line: line)
    XCTAssertTrue(error.message.contains(fragment), "'\(error.message)' lacks '\(fragment)'", file: file, line: line)
  } catch {
    XCTFail("unexpected error \(error)", file: file, line: line)
  }
}

/// <u, J t> from forward mode equals <J^T u, t> from reverse mode, for random t and u.
func checkForwardMatchesReverse(
  _ name: String, _ shapes: [[Int]], file: StaticString = #filePath, line: UInt = #line,
  _ f: @escaping ([Tensor]) throws -> Tensor
) throws {
  let primals = try shapes.enumerated().map { try seeded($1, seed: 30 + UInt64($0)) }
  Random.seed(40)
  let tangents = try shapes.map { try Random.normal($0) }
  let (value, directional) = try jvp(f, at: primals, tangents: tangents)
  let cotangent = try Random.normal(value.shape)
  let pulled = try vjp(f, at: primals).pullback(cotangent)
  let forward = try sum(mul(cotangent, directional)).scalarValue()
  var reverse = 0.0
  for (c, t) in zip(pulled, tangents) { reverse += try sum(mul(c, t)).scalarValue() }
  XCTAssertEqual(forward, reverse, accuracy: 1e-10 * (1 + Swift.abs(forward)), name, file: file, line: line)
  XCTAssertNotEqual(forward, 0, "\(name): a zero directional derivative checks nothing", file: file, line: line)
}

/// Cross-correlation written as loops; pads are (top, bottom, left, right).
func directConv2d(
  _ x: Tensor, _ w: Tensor, bias: Tensor?, stride: (Int, Int), pads: (Int, Int, Int, Int), dilation: (Int, Int),
  groups: Int = 1
) throws -> [Double] {
  let (xs, ws, bs) = (try x.toArray(), try w.toArray(), try bias?.toArray())
  let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
  let (o, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
  let ho = (h + pads.0 + pads.1 - dilation.0 * (kh - 1) - 1) / stride.0 + 1
  let wo = (wd + pads.2 + pads.3 - dilation.1 * (kw - 1) - 1) / stride.1 + 1
  var out = [Double]()
  for b in 0..<n {
    for oc in 0..<o {
      let group = oc / (o / groups)
      for oy in 0..<ho {
        for ox in 0..<wo {
          var total = bs?[oc] ?? 0
          for ci in 0..<cg {
            for i in 0..<kh {
              for j in 0..<kw {
                let (iy, ix) = (oy * stride.0 + i * dilation.0 - pads.0, ox * stride.1 + j * dilation.1 - pads.2)
                guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                total += xs[((b * c + group * cg + ci) * h + iy) * wd + ix] * ws[((oc * cg + ci) * kh + i) * kw + j]
              }
            }
          }
          out.append(total)
        }
      }
    }
  }
  return out
}

/// Max (padding never wins) or mean (padding counts as zeros) over each window, as loops.
func directPool(
  _ x: Tensor, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), max: Bool
) throws -> [Double] {
  let xs = try x.toArray()
  let (planes, h, w) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
  let ho = (h + 2 * padding.0 - kernel.0) / stride.0 + 1
  let wo = (w + 2 * padding.1 - kernel.1) / stride.1 + 1
  var out = [Double]()
  for plane in 0..<planes {
    for oy in 0..<ho {
      for ox in 0..<wo {
        var window = [Double]()
        for i in 0..<kernel.0 {
          for j in 0..<kernel.1 {
            let (iy, ix) = (oy * stride.0 + i - padding.0, ox * stride.1 + j - padding.1)
            if iy >= 0, iy < h, ix >= 0, ix < w { window.append(xs[(plane * h + iy) * w + ix]) } else if !max {
              window.append(0)
            }
          }
        }
        out.append(max ? window.max()! : window.reduce(0, +) / Double(kernel.0 * kernel.1))
      }
    }
  }
  return out
}
