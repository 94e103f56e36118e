/// `embedding(weight, indices)`: rows of a (num_embeddings, dim...) table picked by integer
/// indices of any shape. With `sparseGradient` the weight's gradient is row-sparse (Note
/// [Row-sparse gradients]): the indices and the cotangent's rows, with no dense scatter.
public struct EmbeddingLookup: Primitive {
  public static let name = "embedding"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try linearTaylor(self, inputs, output: y, series: series)  // linear in its float inputs
  }
  public let sparseGradient: Bool
  public func readsInput(_ index: Int, of inputs: [Tensor]) -> Bool { index == 1 }

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    try DynamicTake(axis: 0).forward(inputs)
  }

  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    let (weight, indices) = (inputs[0], inputs[1])
    // A recorded backward (create_graph) or forward-over-reverse needs a differentiable,
    // dense rule; the sparse gradient is a value only.
    guard sparseGradient, !GradMode.isEnabled, g.isUnperturbed else {
      return [try apply(DynamicScatterAdd(axis: 0, size: weight.shape[0]), [g, indices]), nil]
    }
    let rowShape = Array(weight.shape.dropFirst())
    let rows = try g.denseFace().converted(to: weight.dtype).densified()
    let values = try reshape(rows, [indices.count] + rowShape)
    return [try Tensor.rowSparse(indices: reshape(indices, [-1]), values: values, rowCount: weight.shape[0]), nil]
  }

  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    try tangents[0].map { try apply(EmbeddingLookup(sparseGradient: false), [$0, inputs[1]]) }
  }

  /// vmap: batched indices into a shared table are one lookup (the table is never copied, its
  /// gradient stays row-sparse); a batched table is the gather's rule.
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    guard axes[0] == nil, let indexAxis = axes[1] else { return try DynamicTake(axis: 0).batch(inputs, axes: axes) }
    return (try apply(self, [inputs[0], Batching.front(inputs[1], indexAxis)]), 0)
  }
}

/// PyTorch's `embedding(input, weight, sparse=)`: `weight` is (num_embeddings, dim...),
/// `indices` integers of any shape (negative ones count from the end, as in `take`); the result
/// is indices.shape + weight.shape[1...].
public func embedding(_ indices: Tensor, _ weight: Tensor, sparseGradient: Bool = false) throws -> Tensor {
  guard weight.ndim >= 1 else {
    throw SGError.value("embedding: weight must have at least one dimension, got shape \(describe(weight.shape))")
  }
  guard indices.dtype.isInteger else {
    throw SGError.index("embedding: indices must be integers, got \(indices.dtype)")
  }
  if sparseGradient && !weight.dtype.isFloatingPoint {
    throw SGError.type("embedding: a sparse gradient needs a floating-point weight, got \(weight.dtype)")
  }
  let normalized = try apply(NormalizeIndex(size: weight.shape[0], axis: 0), [asIndex(indices)])
  return try apply(EmbeddingLookup(sparseGradient: sparseGradient), [weight, normalized])
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let embeddings: [Operation] = [
    Operation("embedding", "input, weight, sparse: bool = False",
              "Rows of weight (num_embeddings, dim) picked by integer input; the gradient of a row is the sum "
                + "over its uses, row-sparse with sparse=True (unless backward records its graph).",
              namespace: .functional) { [try embedding($0.tensor(0), $0.tensor(1), sparseGradient: $0.bool(2))] },
  ]
}
