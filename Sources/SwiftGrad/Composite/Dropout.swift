/// Dropout from the core's random generator (`Random`, seeded with `Random.seed`).

/// While `training`, zeroes each element of `input` with probability `p` and scales the others
/// by 1 / (1 - p), so the expectation is unchanged; otherwise (or when p is 0) returns `input`
/// itself. p = 1 gives zeros. The mask is one uniform draw per element (in the input's floating
/// dtype) kept where it is below 1 - p; the gradient is the same mask and scale.
public func dropout(_ input: Tensor, p: Double = 0.5, training: Bool = true) throws -> Tensor {
  guard p >= 0 && p <= 1 else { throw SGError.value("dropout: p must be in [0, 1], got \(p)") }
  if !training || p == 0 { return input }
  if p == 1 { return try mul(input, 0) }
  let draws = try Random.uniform(input.shape, low: 0, high: 1, dtype: input.dtype.floatingPoint)
  let keep = try cast(less(draws, 1 - p), to: input.dtype)
  return try mul(input, mul(keep, 1 / (1 - p)))
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let dropouts: [Operation] = [
    Operation("dropout", "input, p: float = 0.5, training: bool = True",
              "Zeroes each element with probability p and scales the rest by 1/(1-p) (training only).",
              namespace: .functional) { [try dropout($0.tensor(0), p: $0.float(1), training: $0.bool(2))] },
  ]
}
