/// Note [Autocast]: `sg.autocast(dtype=sg.bfloat16)` sets a per-thread dtype that the operation
/// table's entry points (the C ABI's unary, binary and general calls) read before running an
/// operation, as PyTorch's CPU autocast does per op:
/// - `lowPrecisionOperations` (matmul and the products built on it: conv, linear, attention)
///   get their float32/bfloat16/float16 tensor operands cast to the autocast dtype;
/// - `float32Operations` (softmax, log_softmax, losses, norms, exp/log reductions, linalg)
///   get their 16-bit operands cast to float32;
/// - every other operation runs on its operands as they come (promotion decides).
/// float64 operands are never cast (PyTorch's eligibility rule). The casts are ordinary `cast`
/// primitives, so gradients flow back to float32 master weights in float32, and graph mode
/// records them where they happened (a function compiled under autocast keeps its casts). The
/// state nests (the Python context saves and restores it) and is independent of grad mode.
public enum Autocast {
  /// Operations run in the autocast dtype (PyTorch's CPU `lower_precision_fp` list).
  public static let lowPrecisionOperations: Set<String> = [
    "matmul", "dot", "outer", "einsum", "conv1d", "conv2d", "scaled_dot_product_attention",
  ]
  /// Operations kept in float32 (PyTorch's CPU `fp32` list, as far as swiftgrad has them).
  public static let float32Operations: Set<String> = [
    "softmax", "log_softmax", "logsumexp", "log_sigmoid", "cross_entropy", "nll_loss", "mse_loss", "huber_loss",
    "binary_cross_entropy_with_logits", "layer_norm", "batch_norm", "norm", "var", "std", "prod", "cumprod",
    "cumsum", "inv", "det", "slogdet", "cholesky", "solve", "lstsq", "pinv", "eigh", "svd", "qr", "matrix_power",
    "trace", "avg_pool2d",
  ]

  /// The autocast dtype of this thread (nil: off).
  public static var dtype: DType? {
    get { ThreadState.read { $0.autocastDType } }
    set { ThreadState.current.autocastDType = newValue }
  }

  /// Sets the autocast dtype (nil: off) and returns the previous one. Only bfloat16 and float16
  /// (or nil) are accepted.
  public static func set(_ d: DType?) throws -> DType? {
    if let d, !d.isLowPrecision {
      throw SGError.value("autocast: dtype must be bfloat16 or float16, got \(d)")
    }
    let state = ThreadState.current
    let previous = state.autocastDType
    state.autocastDType = d
    return previous
  }

  /// `t` as operation `name` sees it under autocast (itself when autocast is off or not concerned).
  public static func operand(_ name: String, _ t: Tensor) throws -> Tensor {
    guard let low = ThreadState.read({ $0.autocastDType }) else { return t }
    return try cast(name, t, low)
  }

  /// The values of a general call with their tensors cast (see `operand`).
  public static func values(_ name: String, _ values: [OperationValue]) throws -> [OperationValue] {
    guard let low = ThreadState.read({ $0.autocastDType }) else { return values }
    guard lowPrecisionOperations.contains(name) || float32Operations.contains(name) else { return values }
    return try values.map { v in
      switch v {
      case .tensor(let t): return .tensor(try cast(name, t, low))
      case .tensors(let ts): return .tensors(try ts.map { try cast(name, $0, low) })
      default: return v
      }
    }
  }

  private static func cast(_ name: String, _ t: Tensor, _ low: DType) throws -> Tensor {
    guard t.dtype.isFloatingPoint, !t.isWeaklyTyped else { return t }
    if t.dtype != low && t.dtype != .float64 && lowPrecisionOperations.contains(name) {
      return try SwiftGrad.cast(t, to: low)
    }
    if t.dtype.isLowPrecision && float32Operations.contains(name) { return try SwiftGrad.cast(t, to: .float32) }
    return t
  }
}
