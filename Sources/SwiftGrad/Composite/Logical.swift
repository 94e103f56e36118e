/// Logical operators on truth values (any dtype: non-zero, NaN included, is true), composed
/// from `logicalAnd`, casts and comparisons. They give bool and carry no derivative.

/// Elementwise `!x`.
public func logicalNot(_ x: Tensor) throws -> Tensor {
  try equal(cast(x, to: .bool), full([], 0, dtype: .bool))
}

/// Elementwise `a || b` (broadcast), by De Morgan from `logicalAnd`.
public func logicalOr(_ a: Tensor, _ b: Tensor) throws -> Tensor {
  try logicalNot(logicalAnd(logicalNot(a), logicalNot(b)))
}

/// Elementwise exclusive or (broadcast): true where exactly one operand is true.
public func logicalXor(_ a: Tensor, _ b: Tensor) throws -> Tensor {
  try notEqual(cast(a, to: .bool), cast(b, to: .bool))
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let logical: [Operation] = [
    .unary("logical_not", "Elementwise not of the truth values (bool).", differentiable: false, logicalNot),
    .binary("logical_and", "Elementwise and of the truth values (bool).", differentiable: false, logicalAnd),
    .binary("logical_or", "Elementwise or of the truth values (bool).", differentiable: false, logicalOr),
    .binary("logical_xor", "Elementwise exclusive or of the truth values (bool).", differentiable: false, logicalXor),
  ]
}
