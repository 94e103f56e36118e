/// Loss functions (PyTorch's names and defaults) composed from differentiable ops; the class
/// labels of `nllLoss`/`crossEntropy` are used through tensor ops too (`takeAlongAxis`,
/// `where`), so a recorded graph recomputes a loss for new labels.

/// How a loss reduces its elementwise values.
public enum LossReduction: String, Sendable {
  case mean
  case sum
  /// No reduction: the loss of every element (PyTorch's reduction='none').
  case elementwise = "none"

  /// The reduction named 'mean', 'sum' or 'none'; `op` names the loss in the error.
  public init(named name: String, op: String) throws {
    guard let reduction = LossReduction(rawValue: name) else {
      throw SGError.value("\(op): reduction must be 'mean', 'sum' or 'none', got '\(name)'")
    }
    self = reduction
  }

  func apply(_ losses: Tensor) throws -> Tensor {
    switch self {
    case .mean: return try SwiftGrad.mean(losses)
    case .sum: return try SwiftGrad.sum(losses)
    case .elementwise: return losses
    }
  }
}

func checkSameShape(_ input: Tensor, _ target: Tensor, _ op: String) throws {
  guard input.shape == target.shape else {
    throw SGError.value(
      "\(op): input shape \(describe(input.shape)) differs from target shape \(describe(target.shape)); reshape one "
        + "of them so they match")
  }
}

/// Mean (or sum, or elementwise) squared error. The shapes must be equal: broadcasting (N, 1)
/// against (N,) would compare every prediction with every target, so it is refused.
public func mseLoss(_ input: Tensor, _ target: Tensor, reduction: LossReduction = .mean) throws -> Tensor {
  try checkSameShape(input, target, "mse_loss")
  return try reduction.apply(square(sub(input, target)))
}

/// Huber loss of r = input - target: 0.5 r^2 where |r| <= delta, delta (|r| - delta / 2)
/// beyond. `delta` must be positive; the shapes equal.
public func huberLoss(
  _ input: Tensor, _ target: Tensor, reduction: LossReduction = .mean, delta: Double = 1
) throws -> Tensor {
  guard !(delta <= 0) else { throw SGError.value("huber_loss: delta must be positive, got \(delta)") }
  try checkSameShape(input, target, "huber_loss")
  let residual = try sub(input, target)
  let size = try abs(residual)
  let quadratic = try mul(square(residual), 0.5)
  let linear = try mul(sub(size, 0.5 * delta), delta)
  return try reduction.apply(`where`(lessEqual(size, scalar(delta)), quadratic, linear))
}

/// Sigmoid and binary cross-entropy in one stable formula: max(x, 0) - x t + log(1 + e^-|x|);
/// with `positiveWeight` p, (1 - t) x + (1 + (p - 1) t) softplus(-x). `weight` multiplies
/// the elementwise losses (both broadcast); input and target have equal shapes.
public func binaryCrossEntropyWithLogits(
  _ input: Tensor, _ target: Tensor, weight: Tensor? = nil, positiveWeight: Tensor? = nil,
  reduction: LossReduction = .mean
) throws -> Tensor {
  try checkSameShape(input, target, "binary_cross_entropy_with_logits")
  var losses: Tensor
  if let positiveWeight {
    let scale = try add(mul(sub(positiveWeight, 1), target), 1)
    losses = try add(mul(rsub(1, target), input), mul(scale, softplus(neg(input))))
  } else {
    let tail = try log1p(exp(neg(abs(input))))
    losses = try add(sub(maximum(input, scalar(0)), mul(input, target)), tail)
  }
  if let weight { losses = try mul(losses, weight) }
  return try reduction.apply(losses)
}

/// Checks (N, C) scores against (N,) integer labels (their range is checked where they are used).
func checkClassLabels(_ scores: Tensor, _ labels: Tensor, _ op: String) throws {
  guard labels.dtype == .int64 else {
    throw SGError.type("\(op): target must hold integer class labels, got dtype \(labels.dtype)")
  }
  guard scores.ndim == 2, labels.shape == [scores.shape[0]] else {
    let name = op == "nll_loss" ? "log_probs" : "logits"
    throw SGError.value(
      "\(op): expected \(name) (N, C) and target (N,), got \(describe(scores.shape)) and \(describe(labels.shape))")
  }
}

/// 1 where a label is not `ignoreIndex`, else 0, in `dtype`.
func keptLabels(_ labels: Tensor, ignoreIndex: Int, dtype: DType) throws -> Tensor {
  try cast(notEqual(labels, integerScalar(ignoreIndex)), to: dtype)
}

/// Reduces per-sample losses; the mean is over the kept samples (at least 1: all ignored gives 0).
func reduceOverKept(_ losses: Tensor, kept: Tensor, _ reduction: LossReduction) throws -> Tensor {
  switch reduction {
  case .elementwise: return losses
  case .sum: return try sum(losses)
  case .mean: return try div(sum(losses), maximum(sum(kept), scalar(1)))
  }
}

/// Negative log-likelihood of int64 class labels (N,) under log-probabilities (N, C).
/// Samples labelled `ignoreIndex` contribute 0 and are not counted by the mean; other labels
/// outside [-C, C) throw an index error (negative ones count from the end, as in `takeAlongAxis`).
public func nllLoss(
  _ logProbabilities: Tensor, _ target: Tensor, ignoreIndex: Int = -100, reduction: LossReduction = .mean
) throws -> Tensor {
  try checkClassLabels(logProbabilities, target, "nll_loss")
  let keep = try notEqual(target, integerScalar(ignoreIndex))
  let safeLabels = try `where`(keep, target, integerScalar(0))
  let picked = try squeeze(takeAlongAxis(logProbabilities, expandDims(safeLabels, axis: 1), axis: 1), axes: [1])
  let kept = try cast(keep, to: logProbabilities.dtype)
  return try reduceOverKept(mul(neg(picked), kept), kept: kept, reduction)
}

/// Softmax cross-entropy of logits (N, C) with int64 labels (N,), as PyTorch's:
/// `nllLoss(logSoftmax(logits, axis: 1), ...)`. `labelSmoothing` s mixes in the uniform
/// target: (1 - s) nll + s mean_c(-log p_c), over the samples not labelled `ignoreIndex`.
public func crossEntropy(
  _ logits: Tensor, _ target: Tensor, ignoreIndex: Int = -100, reduction: LossReduction = .mean,
  labelSmoothing: Double = 0
) throws -> Tensor {
  try checkClassLabels(logits, target, "cross_entropy")
  let logProbabilities = try logSoftmax(logits, axis: 1)
  if labelSmoothing == 0 {
    return try nllLoss(logProbabilities, target, ignoreIndex: ignoreIndex, reduction: reduction)
  }
  let nll = try nllLoss(logProbabilities, target, ignoreIndex: ignoreIndex, reduction: .elementwise)
  let kept = try keptLabels(target, ignoreIndex: ignoreIndex, dtype: logProbabilities.dtype)
  let uniform = try mul(neg(mean(logProbabilities, axes: [1])), kept)
  let mixed = try add(mul(nll, 1 - labelSmoothing), mul(uniform, labelSmoothing))
  return try reduceOverKept(mixed, kept: kept, reduction)
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let losses: [Operation] = [
    Operation("mse_loss", "input, target, reduction: str = 'mean'",
              "Mean (or sum, or elementwise with 'none') squared error; the shapes must agree.",
              namespace: .functional) {
      [try mseLoss($0.tensor(0), $0.tensor(1), reduction: LossReduction(named: $0.string(2), op: "mse_loss"))]
    },
    Operation("huber_loss", "input, target, reduction: str = 'mean', delta: float = 1.0",
              "0.5 r^2 where |r| <= delta, delta (|r| - delta/2) beyond (r = input - target).",
              namespace: .functional) {
      [try huberLoss($0.tensor(0), $0.tensor(1), reduction: LossReduction(named: $0.string(2), op: "huber_loss"),
                     delta: $0.float(3))]
    },
    Operation("binary_cross_entropy_with_logits",
              "input, target, weight: tensor? = None, pos_weight: tensor? = None, reduction: str = 'mean'",
              "Sigmoid and binary cross-entropy in one stable expression.", namespace: .functional) {
      [try binaryCrossEntropyWithLogits(
        $0.tensor(0), $0.tensor(1), weight: $0.optionalTensor(2), positiveWeight: $0.optionalTensor(3),
        reduction: LossReduction(named: $0.string(4), op: "binary_cross_entropy_with_logits"))]
    },
    Operation("nll_loss", "log_probs, target, ignore_index: int = -100, reduction: str = 'mean'",
              "Negative log-likelihood of integer class labels, from (N, C) log-probabilities.",
              namespace: .functional) {
      [try nllLoss($0.tensor(0), $0.tensor(1), ignoreIndex: $0.int(2),
                   reduction: LossReduction(named: $0.string(3), op: "nll_loss"))]
    },
    Operation("cross_entropy",
              "logits, target, ignore_index: int = -100, reduction: str = 'mean', label_smoothing: float = 0.0",
              "Softmax cross-entropy of (N, C) logits and integer labels, as PyTorch's.", namespace: .functional) {
      [try crossEntropy($0.tensor(0), $0.tensor(1), ignoreIndex: $0.int(2),
                        reduction: LossReduction(named: $0.string(3), op: "cross_entropy"),
                        labelSmoothing: $0.float(4))]
    },
  ]
}
