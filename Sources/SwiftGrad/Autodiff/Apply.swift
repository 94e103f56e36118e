/// Runs a primitive and records it: a reverse-mode node when grad mode is on and an input
/// requires grad, and forward-mode tangents when an input carries any.
public func apply<P: Primitive>(_ primitive: P, _ inputs: [Tensor]) throws -> Tensor {
  let anyExtras = inputs.contains(where: { $0.extras != nil })
  if anyExtras && inputs.contains(where: { $0.sparseRows != nil }) {
    return try apply(primitive, inputs.map { try $0.denseFace() })
  }
  if anyExtras && inputs.contains(where: { $0.batch != nil }) { return try Batching.apply(primitive, inputs) }
  var out = try primitive.forwardInStorageDType(inputs)
  if inputs.contains(where: { $0 === out }) { out = out.alias() }
  // One thread-local lookup for the recorder and grad mode.
  let (recorder, gradEnabled) = ThreadState.read { ($0.recorder, $0.gradEnabled) }
  if let recorder { try recorder.record(primitive, inputs, out) }
  guard out.dtype.isInexact, P.isDifferentiable else { return out }
  if gradEnabled && inputs.contains(where: { $0.requiresGrad }) {
    out.requiresGrad = true
    out.gradFn = Node(primitive, inputs, output: out)
  }
  if anyExtras && inputs.contains(where: { !$0.tangents.isEmpty || !$0.jets.isEmpty }) {
    try ForwardMode.propagate(primitive, inputs, out)
  }
  return out
}

extension Tensor {
  /// A new tensor object viewing the same elements (no autograd history).
  func alias() -> Tensor {
    let a = Tensor(storage: storage, shape: shape, strides: strides, offset: offset, dtype: dtype)
    a.sparseRows = sparseRows
    a.batch = batch
    return a
  }

  /// Same elements as a new tensor: connected to `self` in the graph when it requires grad.
  /// Carries no tangents: the callers (forward mode's strip/makeDual) set them. Recording the
  /// node directly rather than through `apply` matters: `apply` would propagate tangents,
  /// which strips levels, which aliases again, without end.
  func identityAlias() throws -> Tensor {
    let a = alias()
    guard requiresGrad else { return a }
    a.requiresGrad = true
    a.gradFn = Node(Identity(), [self], output: a)
    return a
  }
}

/// The identity, recorded: lets an alias stay connected to its source in both modes.
struct Identity: LinearPrimitive {
  static let name = "identity"
  func forward(_ inputs: [Tensor]) throws -> Tensor { inputs[0].alias() }
  func transpose(_ cotangent: Tensor, input: Tensor) throws -> Tensor { cotangent }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) { (try apply(self, inputs), axes[0]) }
}
