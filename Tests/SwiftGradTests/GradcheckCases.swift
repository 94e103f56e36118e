import XCTest

@testable import SwiftGrad

/// One gradcheck case: an operation of the table (by its name) on inputs of these shapes.
struct GradcheckCase {
  let operation: String
  let shapes: [[Int]]
  var positive = false
  var awayFromZero = false
  let function: ([Tensor]) throws -> Tensor
}

/// Runs `name` through the operation table with the tensors as its tensor arguments and
/// `extra` values after them; `output` picks one of several results.
private func table(_ name: String, _ extra: [OperationValue] = [], output: Int = 0) -> ([Tensor]) throws -> Tensor {
  { xs in
    guard let op = Operation.named(name) else { throw SGError.value("no operation \(name)") }
    return try op.call(xs.map { .tensor($0) } + extra)[output]
  }
}

private let symmetric: (Tensor) throws -> Tensor = { try add($0, matrixTranspose($0)) }
/// A complex result as real numbers: its real and imaginary parts side by side.
private let realAndImaginary: (Tensor) throws -> Tensor = { try concatenate([real($0), imag($0)], axis: -1) }
private let int64 = DType.int64

extension GradcheckTests {
  /// The Swift side's op table of derivative checks (the Python op table checks the same
  /// operations through the C ABI): a case for every single-tensor operation of the table on
  /// inputs from its domain, and the cases below for the others.
  static let cases: [GradcheckCase] = singleTensorCases + explicitCases

  static let singleTensorCases: [GradcheckCase] = Operation.all.compactMap { op in
    guard op.isDifferentiable, case .unary = op.body else { return nil }
    let name = op.name
    switch op.domain {
    case .real: return GradcheckCase(operation: name, shapes: [[3, 4]], function: table(name))
    case .positive: return GradcheckCase(operation: name, shapes: [[3, 4]], positive: true, function: table(name))
    case .awayFromZero:
      return GradcheckCase(operation: name, shapes: [[3, 4]], awayFromZero: true, function: table(name))
    case .unitInterval:  // U(-1.5, 1.5) halved
      return GradcheckCase(operation: name, shapes: [[3, 4]]) { xs in try table(name)([mul(xs[0], 0.5)]) }
    case .aboveOne:  // 1.2 + x^2
      return GradcheckCase(operation: name, shapes: [[3, 4]]) { xs in try table(name)([add(square(xs[0]), 1.2)]) }
    case .invertibleMatrices:
      return GradcheckCase(operation: name, shapes: [[3, 3]]) { xs in try table(name)([add(xs[0], mul(eye(3), 3))]) }
    case .positiveDefiniteMatrices:
      return GradcheckCase(operation: name, shapes: [[3, 3]]) { xs in
        try table(name)([add(matmul(xs[0], matrixTranspose(xs[0])), mul(eye(3), 3))])
      }
    }
  }

  static let explicitCases: [GradcheckCase] = [
    GradcheckCase(operation: "round", shapes: [[3, 4]], function: table("round", [.int(1)])),
    GradcheckCase(operation: "gelu", shapes: [[3, 4]], function: table("gelu", [.string("none")])),
    GradcheckCase(operation: "gelu", shapes: [[3, 4]], function: table("gelu", [.string("tanh")])),
    GradcheckCase(operation: "add", shapes: [[3, 4], [4]], function: table("add")),
    GradcheckCase(operation: "subtract", shapes: [[3, 1], [1, 4]], function: table("subtract")),
    GradcheckCase(operation: "multiply", shapes: [[2, 3, 4], [3, 1]], function: table("multiply")),
    GradcheckCase(operation: "divide", shapes: [[3, 4], [3, 4]], awayFromZero: true, function: table("divide")),
    GradcheckCase(operation: "power", shapes: [[3, 4], [3, 4]], positive: true, function: table("power")),
    GradcheckCase(operation: "maximum", shapes: [[3, 4], [4]], function: table("maximum")),
    GradcheckCase(operation: "minimum", shapes: [[3, 4], [3, 4]], function: table("minimum")),
    GradcheckCase(operation: "logaddexp", shapes: [[3, 4], [4]], function: table("logaddexp")),
    GradcheckCase(operation: "hypot", shapes: [[3, 4], [3, 4]], awayFromZero: true, function: table("hypot")),
    GradcheckCase(operation: "arctan2", shapes: [[3, 4], [3, 4]], awayFromZero: true, function: table("arctan2")),
    GradcheckCase(operation: "floor_divide", shapes: [[3, 4], [4]], awayFromZero: true,
                  function: table("floor_divide")),
    GradcheckCase(operation: "remainder", shapes: [[3, 4], [4]], awayFromZero: true) { xs in
      try remainder(mul(xs[0], 4), xs[1])
    },
    GradcheckCase(operation: "copysign", shapes: [[3, 4], [3, 1]], awayFromZero: true, function: table("copysign")),
    GradcheckCase(operation: "_tensordot", shapes: [[3, 2, 4], [2, 5, 3]],
                  function: table("_tensordot", [.ints([1, 0]), .ints([0, 2])])),
    GradcheckCase(operation: "vecdot", shapes: [[3, 4], [3, 1]], function: table("vecdot", [.int(0)])),
    GradcheckCase(operation: "cumulative_sum", shapes: [[3, 4]],
                  function: table("cumulative_sum", [.int(1), .bool(true)])),
    GradcheckCase(operation: "cross", shapes: [[3, 4], [3, 1]], function: table("cross", [.int(0)])),
    GradcheckCase(operation: "broadcast_arrays", shapes: [[3, 1], [4]]) { xs in
      let both = try broadcastArrays(xs)
      return try mul(both[0], both[1])
    },
    GradcheckCase(operation: "unstack", shapes: [[3, 4]], function: table("unstack", [.int(1)], output: 2)),
    GradcheckCase(operation: "_unique_all", shapes: [[3, 4]], function: table("_unique_all")),
    GradcheckCase(operation: "where", shapes: [[3, 4], [3, 1]]) { xs in
      try `where`(greater(tensor([1, -1, 1, -1]), 0), xs[0], xs[1])
    },
    GradcheckCase(operation: "matmul", shapes: [[3, 4], [4, 2]], function: table("matmul")),
    GradcheckCase(operation: "matmul", shapes: [[2, 3, 4], [4, 2]], function: table("matmul")),
    GradcheckCase(operation: "matmul", shapes: [[4], [4, 3]], function: table("matmul")),
    GradcheckCase(operation: "dot", shapes: [[2, 3], [4, 3, 2]], function: table("dot")),
    GradcheckCase(operation: "outer", shapes: [[3], [2, 2]], function: table("outer")),
    GradcheckCase(operation: "clip", shapes: [[3, 4]]) { try clip($0[0], tensor([-0.5]), tensor([0.7])) },
    GradcheckCase(operation: "var", shapes: [[3, 4]], function: table("var", [.ints([1]), .int(1), .bool(false)])),
    GradcheckCase(operation: "std", shapes: [[3, 4]], positive: true,
                  function: table("std", [.none, .int(0), .bool(true)])),
    GradcheckCase(operation: "logsumexp", shapes: [[3, 4]], function: table("logsumexp", [.ints([0]), .bool(false)])),
    GradcheckCase(operation: "softmax", shapes: [[3, 4]], function: table("softmax", [.int(-1)])),
    GradcheckCase(operation: "log_softmax", shapes: [[3, 4]], function: table("log_softmax", [.int(0)])),
    GradcheckCase(operation: "split", shapes: [[6, 2]], function: table("split", [.int(3), .int(0)], output: 1)),
    GradcheckCase(operation: "split", shapes: [[2, 5]], function: table("split", [.ints([1, 3]), .int(1)], output: 2)),
    GradcheckCase(operation: "sum", shapes: [[2, 3, 4]]) { try sum($0[0], axes: [0, 2], keepDims: true) },
    GradcheckCase(operation: "mean", shapes: [[3, 4]]) { try mean($0[0], axes: [-1]) },
    GradcheckCase(operation: "max", shapes: [[3, 4]]) { try max($0[0], axes: [1]) },
    GradcheckCase(operation: "min", shapes: [[3, 4]]) { try min($0[0]) },
    GradcheckCase(operation: "prod", shapes: [[3, 4]]) { try prod($0[0], axes: [0]) },
    GradcheckCase(operation: "reshape", shapes: [[3, 4]]) { try reshape($0[0], [2, -1]) },
    GradcheckCase(operation: "broadcast_to", shapes: [[3, 1]]) { try broadcastTo($0[0], [2, 3, 4]) },
    GradcheckCase(operation: "transpose", shapes: [[2, 3, 4]]) { try transpose($0[0], [1, 0, 2]) },
    GradcheckCase(operation: "squeeze", shapes: [[3, 1, 4]]) { try squeeze($0[0]) },
    GradcheckCase(operation: "expand_dims", shapes: [[3, 4]]) { try expandDims($0[0], axis: 1) },
    GradcheckCase(operation: "concatenate", shapes: [[3, 2], [3, 4]]) { try concatenate([$0[0], $0[1]], axis: 1) },
    GradcheckCase(operation: "stack", shapes: [[3, 2], [3, 2]]) { try stack([$0[0], $0[1]], axis: -1) },
    GradcheckCase(operation: "cast", shapes: [[3, 4]]) { try cast($0[0], to: .float64) },
    GradcheckCase(operation: "cumsum", shapes: [[3, 4]]) { try cumsum($0[0], axis: 1) },
    GradcheckCase(operation: "cumprod", shapes: [[3, 4]]) { try cumprod($0[0], axis: 0) },
    GradcheckCase(operation: "sort", shapes: [[3, 4]]) { try sort($0[0], axis: 0, descending: true) },
    GradcheckCase(operation: "topk", shapes: [[3, 5]], function: table("topk", [.int(2), .int(-1), .bool(true)])),
    GradcheckCase(operation: "flip", shapes: [[3, 4]]) { try flip($0[0], axes: [1]) },
    GradcheckCase(operation: "roll", shapes: [[3, 4]]) { try roll($0[0], shifts: [1, -2], axes: [0, 1]) },
    GradcheckCase(operation: "moveaxis", shapes: [[2, 3, 4]]) { try moveaxis($0[0], source: [0], destination: [2]) },
    GradcheckCase(operation: "swapaxes", shapes: [[2, 3, 4]]) { try swapaxes($0[0], 0, 2) },
    GradcheckCase(operation: "ravel", shapes: [[3, 4]]) { try ravel(transpose($0[0])) },
    GradcheckCase(operation: "flatten", shapes: [[3, 4]], function: table("flatten")),
    GradcheckCase(operation: "tile", shapes: [[2, 3]]) { try tile($0[0], reps: [2, 1, 2]) },
    GradcheckCase(operation: "repeat", shapes: [[2, 3]]) {
      try repeatElements($0[0], repeats: tensor([1, 0, 2], dtype: int64), axis: 1)
    },
    GradcheckCase(operation: "pad", shapes: [[3, 4]]) { try pad($0[0], tensor([1, 2], dtype: int64), mode: "reflect") },
    GradcheckCase(operation: "tril", shapes: [[3, 4]]) { try tril($0[0], k: 1) },
    GradcheckCase(operation: "triu", shapes: [[2, 3, 4]]) { try triu($0[0], k: -1) },
    GradcheckCase(operation: "meshgrid", shapes: [[3], [2]]) { xs in
      let grids = try meshgrid(xs, indexing: "xy")
      return try mul(grids[0], grids[1])
    },
    GradcheckCase(operation: "diag", shapes: [[3]]) { try diag($0[0], k: 1) },
    GradcheckCase(operation: "diag", shapes: [[3, 4]]) { try diag($0[0], k: -1) },
    GradcheckCase(operation: "diagonal", shapes: [[3, 4, 2]]) { try diagonal($0[0], offset: 1, axis1: 0, axis2: 1) },
    GradcheckCase(operation: "trace", shapes: [[3, 4]]) { try trace($0[0]) },
    GradcheckCase(operation: "einsum", shapes: [[2, 3], [3, 4]]) { try einsum("ij,jk->ki", $0) },
    GradcheckCase(operation: "take", shapes: [[3, 4]]) { try take($0[0], tensor([2, 0, 2], dtype: int64), axis: 1) },
    GradcheckCase(operation: "take_along_axis", shapes: [[3, 4]]) {
      try takeAlongAxis($0[0], tensor([0, 3, 1, 1, 2, 0], shape: [3, 2], dtype: int64), axis: 1)
    },
    GradcheckCase(operation: "gather", shapes: [[3, 4]]) {
      try gather($0[0], axis: 1, index: tensor([0, 3, 2, 2, 1, 0], shape: [3, 2], dtype: int64))
    },
    GradcheckCase(operation: "scatter_add", shapes: [[3, 4], [3, 2]]) {
      try scatterAdd($0[0], axis: 1, index: tensor([0, 3, 2, 2, 1, 1], shape: [3, 2], dtype: int64), source: $0[1])
    },
    GradcheckCase(operation: "index_add", shapes: [[4, 3], [2, 3]]) {
      try indexAdd($0[0], axis: 0, index: tensor([3, 3], dtype: int64), source: $0[1])
    },
    GradcheckCase(operation: "im2col", shapes: [[1, 2, 4, 4]]) { try im2col($0[0], kernel: (2, 3), stride: (2, 1)) },
    GradcheckCase(operation: "inv", shapes: [[3, 3]]) { try inv(add($0[0], mul(eye(3), 3))) },
    GradcheckCase(operation: "det", shapes: [[2, 3, 3]], function: table("det")),
    GradcheckCase(operation: "cholesky", shapes: [[3, 3]]) { xs in
      try cholesky(add(matmul(xs[0], matrixTranspose(xs[0])), mul(eye(3), 3)))
    },
    GradcheckCase(operation: "solve", shapes: [[3, 3], [3, 2]]) { try solve(add($0[0], mul(eye(3), 3)), $0[1]) },
    GradcheckCase(operation: "norm", shapes: [[3, 4]], function: table("norm", [.none, .none, .bool(false)])),
    GradcheckCase(operation: "norm", shapes: [[3, 4]], function: table("norm", [.float(3), .ints([1]), .bool(true)])),
    GradcheckCase(operation: "norm", shapes: [[3, 4]], function: table("norm", [.string("nuc"), .none, .bool(false)])),
    GradcheckCase(operation: "eigh", shapes: [[3, 3]]) { try eigh(symmetric($0[0])).values },
    GradcheckCase(operation: "eigh", shapes: [[3, 3]]) { try square(eigh(symmetric($0[0])).vectors) },
    GradcheckCase(operation: "svd", shapes: [[4, 3]]) { try svd($0[0]).s },
    GradcheckCase(operation: "svd", shapes: [[4, 3]]) { try square(svd($0[0]).u) },
    GradcheckCase(operation: "svd", shapes: [[3, 4]]) { try square(svd($0[0]).vh) },
    GradcheckCase(operation: "qr", shapes: [[4, 3]]) { xs in
      let (q, r) = try qr(xs[0])
      return try add(sum(square(q)), sum(mul(r, r)))
    },
    GradcheckCase(operation: "slogdet", shapes: [[3, 3]]) { try slogdet($0[0]).logAbsDet },
    GradcheckCase(operation: "pinv", shapes: [[4, 3]]) { try pinv($0[0]) },
    GradcheckCase(operation: "lstsq", shapes: [[5, 3], [5, 2]]) { try lstsq($0[0], $0[1]) },
    GradcheckCase(operation: "matrix_power", shapes: [[3, 3]]) { try matrixPower(add($0[0], mul(eye(3), 3)), -2) },
    GradcheckCase(operation: "conv2d", shapes: [[1, 4, 5, 4], [2, 2, 2, 3], [2]]) {
      try conv2d($0[0], $0[1], bias: $0[2], stride: (2, 1), padding: .same, dilation: (1, 2), groups: 2)
    },
    GradcheckCase(operation: "conv1d", shapes: [[2, 3, 6], [2, 3, 3]]) {
      try conv1d($0[0], $0[1], padding: .explicit([1]))
    },
    GradcheckCase(operation: "max_pool2d", shapes: [[1, 2, 4, 4]]) { try maxPool2d($0[0], kernelSize: (2, 2)) },
    // Overlapping windows and -inf padding: a maximum shared by two windows gets both cotangents.
    GradcheckCase(operation: "max_pool2d", shapes: [[2, 2, 5, 4]]) {
      try maxPool2d($0[0], kernelSize: (3, 2), stride: (2, 1), padding: (1, 1))
    },
    GradcheckCase(operation: "avg_pool2d", shapes: [[1, 2, 5, 5]]) {
      try avgPool2d($0[0], kernelSize: (3, 3), stride: (2, 2), padding: (1, 1))
    },
    GradcheckCase(operation: "layer_norm", shapes: [[3, 4], [4], [4]]) {
      try layerNorm($0[0], normalizedShape: [4], weight: $0[1], bias: $0[2])
    },
    GradcheckCase(operation: "batch_norm", shapes: [[4, 3, 2], [3], [3]]) {
      try batchNorm($0[0], runningMean: nil, runningVariance: nil, weight: $0[1], bias: $0[2], training: true).output
    },
    GradcheckCase(operation: "mse_loss", shapes: [[3, 4], [3, 4]]) { try mseLoss($0[0], $0[1]) },
    GradcheckCase(operation: "huber_loss", shapes: [[3, 4], [3, 4]], awayFromZero: true) {
      try huberLoss($0[0], $0[1], reduction: .sum, delta: 0.8)
    },
    GradcheckCase(operation: "binary_cross_entropy_with_logits", shapes: [[2, 3], [3]]) {
      try binaryCrossEntropyWithLogits($0[0], tensor([0, 1, 1, 0, 1, 0], shape: [2, 3]), positiveWeight: $0[1])
    },
    GradcheckCase(operation: "nll_loss", shapes: [[4, 3]]) {
      try nllLoss($0[0], tensor([2, 1, 1, 0], dtype: int64), ignoreIndex: 1)
    },
    GradcheckCase(operation: "cross_entropy", shapes: [[4, 3]]) {
      try crossEntropy($0[0], tensor([2, 1, 1, 0], dtype: int64), labelSmoothing: 0.2)
    },
    GradcheckCase(operation: "embedding", shapes: [[4, 3]]) {
      try embedding(tensor([1, 3, 3, 0], shape: [2, 2], dtype: int64), $0[0])
    },
    GradcheckCase(operation: "scaled_dot_product_attention", shapes: [[2, 3, 4], [2, 5, 4], [2, 5, 2]]) {
      try scaledDotProductAttention($0[0], $0[1], $0[2], isCausal: true)
    },
    // sg.fft on real inputs; complex results enter through their parts.
    GradcheckCase(operation: "fft", shapes: [[3, 4]]) { try realAndImaginary(fft($0[0], axis: 0)) },
    GradcheckCase(operation: "ifft", shapes: [[3, 4]]) {
      try realAndImaginary(fft($0[0], n: 6, norm: "ortho", inverse: true))
    },
    GradcheckCase(operation: "rfft", shapes: [[3, 5]]) { try realAndImaginary(rfft($0[0])) },
    GradcheckCase(operation: "irfft", shapes: [[3, 4]]) { try irfft($0[0], n: 7) },
    GradcheckCase(operation: "hfft", shapes: [[3, 4]]) { try hfft($0[0]) },
    GradcheckCase(operation: "ihfft", shapes: [[3, 5]]) { try realAndImaginary(ihfft($0[0], norm: "forward")) },
    GradcheckCase(operation: "fftn", shapes: [[3, 4]]) { try realAndImaginary(fftn($0[0], s: [4, 3])) },
    GradcheckCase(operation: "ifftn", shapes: [[3, 4]]) { try realAndImaginary(fftn($0[0], inverse: true)) },
    GradcheckCase(operation: "rfftn", shapes: [[3, 4]]) { try realAndImaginary(rfftn($0[0])) },
    GradcheckCase(operation: "irfftn", shapes: [[3, 4]]) { try irfftn($0[0], s: [3, 6]) },
    GradcheckCase(operation: "fftshift", shapes: [[3, 4]]) { try fftshift($0[0]) },
    GradcheckCase(operation: "ifftshift", shapes: [[3, 4]]) { try fftshift($0[0], axes: [1], inverse: true) },
    // The same mask on every evaluation: the generator is seeded inside the function.
    GradcheckCase(operation: "dropout", shapes: [[3, 4]]) { xs in
      Random.seed(5)
      return try dropout(xs[0], p: 0.4)
    },
  ]
}
