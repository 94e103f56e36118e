/// The list of every operation (Note [One op table]): the families, each declared at the end
/// of its primitives' file. The order is the C ABI's operation numbering.
extension Operation {
  public static let all: [Operation] = {
    let families: [[Operation]] = [
      elementwiseUnary, roundingAndTrigonometry, activations, elementwiseBinary, binaryMath, comparisons,
      products, composites, reductions, shapes, scans, ordering, shapeComposites, diagonals, einsums, takes,
      scatters, windows, linearAlgebra, decompositions, creation, convolutions, maxPooling, pooling, normalization,
      losses, selection, logical, dropouts, embeddings, attention, floatClassification, integerDivision, arrayFunctions,
      searching, complexParts, fourier,
    ]
    return families.flatMap { $0 }
  }()

  private static let indexByName: [String: Int] = {
    var index: [String: Int] = [:]
    for (i, op) in all.enumerated() { index[op.name] = i }
    return index
  }()

  /// The operation called `name` (its Python name), if any.
  public static func named(_ name: String) -> Operation? { indexByName[name].map { all[$0] } }

  /// The C ABI's number for `name`.
  public static func number(of name: String) -> Int? { indexByName[name] }
}
