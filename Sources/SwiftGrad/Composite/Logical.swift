/// Logical operators and reductions on truth values (any dtype: non-zero, NaN included, is true), composed
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

/// Whether any element (along `axes`) is true: a sum of the truth values (bool result).
public func any(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
  try notEqual(sum(cast(cast(x, to: .bool), to: .int64), axes: axes, keepDims: keepDims), full([], 0, dtype: .int64))
}

/// Whether every element (along `axes`) is true.
public func all(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
  try logicalNot(any(logicalNot(x), axes: axes, keepDims: keepDims))
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let logical: [Operation] = [
    Operation("any", "a, axis: ints? = None, keepdims: bool = False", "Whether any element is true (bool).",
              method: "any", differentiable: false) {
      [try SwiftGrad.any($0.tensor(0), axes: $0.optionalInts(1), keepDims: $0.bool(2))]
    },
    Operation("all", "a, axis: ints? = None, keepdims: bool = False", "Whether every element is true (bool).",
              method: "all", differentiable: false) {
      [try SwiftGrad.all($0.tensor(0), axes: $0.optionalInts(1), keepDims: $0.bool(2))]
    },
    .unary("logical_not", "Elementwise not of the truth values (bool).", differentiable: false, logicalNot),
    .binary("logical_and", "Elementwise and of the truth values (bool).", differentiable: false, logicalAnd),
    .binary("logical_or", "Elementwise or of the truth values (bool).", differentiable: false, logicalOr),
    .binary("logical_xor", "Elementwise exclusive or of the truth values (bool).", differentiable: false, logicalXor),
  ]
}
