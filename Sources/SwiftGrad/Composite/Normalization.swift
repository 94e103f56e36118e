/// Layer and batch normalisation composed from reductions and elementwise ops (derivatives of
/// every order come from those). Batch norm is functional: it returns the updated running
/// statistics instead of writing into them, so the caller (a Module) owns the state.

/// Normalises over the trailing `normalizedShape` axes of `input`:
/// (x - mean) / sqrt(var + epsilon) with the biased variance (as PyTorch), then `* weight`
/// and `+ bias` when given (broadcast against the result). An empty `normalizedShape`
/// normalises over no axis (every element becomes 0).
public func layerNorm(
  _ input: Tensor, normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil, epsilon: Double = 1e-5
) throws -> Tensor {
  let count = normalizedShape.count
  guard count <= input.ndim, Array(input.shape.suffix(count)) == normalizedShape else {
    throw SGError.value(
      "layer_norm: normalized_shape \(describe(normalizedShape)) does not match the trailing dimensions of "
        + "\(describe(input.shape))")
  }
  let axes = Array((input.ndim - count)..<input.ndim)
  let centered = try sub(input, mean(input, axes: axes, keepDims: true))
  let variance = try mean(squaredMagnitude(centered), axes: axes, keepDims: true)
  var out = try div(centered, sqrt(add(variance, epsilon)))
  if let weight { out = try mul(out, weight) }
  if let bias { out = try add(out, bias) }
  return out
}

/// The result of `batchNorm`: the normalised tensor and the running statistics to keep (the
/// updated ones in training, the given ones in evaluation, nil when none were given).
public struct BatchNormResult {
  public let output: Tensor
  public let runningMean: Tensor?
  public let runningVariance: Tensor?
}

/// Normalises each channel (axis 1) of an (N, C, ...) input over the batch and spatial axes.
/// Training uses the batch's mean and biased variance, and (when running statistics are
/// given) returns them updated as `(1 - momentum) * running + momentum * batch`, with the
/// unbiased variance (n / (n - 1), n the elements per channel, as PyTorch); the update is not
/// differentiated and keeps the running tensors' dtype and shape. Evaluation uses the running
/// statistics, which must then be given. Running statistics, `weight` and `bias` hold one
/// element per channel.
public func batchNorm(
  _ input: Tensor, runningMean: Tensor?, runningVariance: Tensor?, weight: Tensor? = nil, bias: Tensor? = nil,
  training: Bool = false, momentum: Double = 0.1, epsilon: Double = 1e-5
) throws -> BatchNormResult {
  guard input.ndim >= 2 else {
    throw SGError.value("batch_norm: expected (N, C, ...) input, got shape \(describe(input.shape))")
  }
  let channels = input.shape[1]
  guard (runningMean == nil) == (runningVariance == nil) else {
    throw SGError.value("batch_norm: running_mean and running_var must be given together (or neither)")
  }
  let perChannel = [
    ("running_mean", runningMean), ("running_var", runningVariance), ("weight", weight), ("bias", bias),
  ]
  for case (let name, let t?) in perChannel where t.count != channels {
    throw SGError.value(
      "batch_norm: \(name) of shape \(describe(t.shape)) does not have one element per channel of input "
        + "\(describe(input.shape)) (\(channels))")
  }
  let axes = [0] + Array(2..<input.ndim)
  let channelShape = [1, channels] + [Int](repeating: 1, count: input.ndim - 2)
  let channelMean: Tensor, channelVariance: Tensor
  var updatedMean = runningMean, updatedVariance = runningVariance
  if training {
    channelMean = try mean(input, axes: axes, keepDims: true)
    channelVariance = try mean(squaredMagnitude(sub(input, channelMean)), axes: axes, keepDims: true)
    if let runningMean, let runningVariance {
      let perChannelCount = channels == 0 ? 0 : input.count / channels
      // As PyTorch: momentum * n / (n - 1), in this order (the Python layer's rounding).
      let varianceFactor = momentum * Double(perChannelCount) / Double(Swift.max(perChannelCount - 1, 1))
      (updatedMean, updatedVariance) = try withoutGrad {
        (
          try runningUpdate(runningMean, channelMean.detach(), momentum: momentum, factor: momentum),
          try runningUpdate(runningVariance, channelVariance.detach(), momentum: momentum, factor: varianceFactor)
        )
      }
    }
  } else {
    guard let runningMean, let runningVariance else {
      throw SGError.value("batch_norm: evaluation needs running_mean and running_var")
    }
    channelMean = try reshape(runningMean, channelShape)
    channelVariance = try reshape(runningVariance, channelShape)
  }
  var out = try div(sub(input, channelMean), sqrt(add(channelVariance, epsilon)))
  if let weight { out = try mul(out, reshape(weight, channelShape)) }
  if let bias { out = try add(out, reshape(bias, channelShape)) }
  return BatchNormResult(output: out, runningMean: updatedMean, runningVariance: updatedVariance)
}

/// (1 - momentum) * running + factor * batch, in the running tensor's dtype and shape.
func runningUpdate(_ running: Tensor, _ batch: Tensor, momentum: Double, factor: Double) throws -> Tensor {
  let decayed = try mul(running, 1 - momentum)
  let fresh = try mul(reshape(batch, running.shape), factor)
  return try cast(add(decayed, fresh), to: running.dtype)
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let normalization: [Operation] = [
    Operation("layer_norm", "input, normalized_shape: ints, weight: tensor? = None, bias: tensor? = None, "
                + "eps: float = 1e-5",
              "Normalised over the trailing normalized_shape dimensions (biased variance, as PyTorch).",
              namespace: .functional) {
      [try layerNorm($0.tensor(0), normalizedShape: $0.ints(1), weight: $0.optionalTensor(2),
                     bias: $0.optionalTensor(3), epsilon: $0.float(4))]
    },
    // Hidden: python/swiftgrad/nn/functional.py writes the returned statistics into the
    // module's buffers (PyTorch's in-place update).
    Operation("batch_norm", "input, running_mean: tensor?, running_var: tensor?, weight: tensor? = None, "
                + "bias: tensor? = None, training: bool = False, momentum: float = 0.1, eps: float = 1e-5",
              "(output, new running mean, new running variance); the statistics are omitted when not given.",
              namespace: .hidden, result: .tuple) {
      let r = try batchNorm($0.tensor(0), runningMean: $0.optionalTensor(1), runningVariance: $0.optionalTensor(2),
                            weight: $0.optionalTensor(3), bias: $0.optionalTensor(4), training: $0.bool(5),
                            momentum: $0.float(6), epsilon: $0.float(7))
      return [r.output] + [r.runningMean, r.runningVariance].compactMap { $0 }
    },
  ]
}
