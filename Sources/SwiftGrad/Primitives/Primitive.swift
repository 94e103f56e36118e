/// A primitive operation: its forward kernel and its calculus in one place.
///
/// Note [Rules use differentiable ops]: `vjp` and `jvp` are written with the public Tensor
/// operations, never raw kernels, so that when `create_graph` is on (or forward mode is active)
/// the derivative computation is itself recorded and can be differentiated again.
public protocol Primitive {
  static var name: String { get }
  /// Computes the output with kernels only; no recording happens here.
  func forward(_ inputs: [Tensor]) throws -> Tensor
  /// Cotangents for each input (nil: no gradient flows to that input).
  func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor) throws -> [Tensor?]
  /// Tangent of the output given input tangents (nil entries are zero). Nil result: zero tangent.
  func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor?
  /// Whether outputs of this primitive can carry gradients at all (comparisons cannot).
  static var isDifferentiable: Bool { get }
  /// Whether `vjp` reads the values of its inputs (not just their shapes). Only then does
  /// backward check that no in-place write changed them since they were recorded.
  static var readsValues: Bool { get }
  /// Whether `vjp` reads the values of its output (exp, tanh, sqrt, ...): checked likewise.
  static var readsOutput: Bool { get }
  /// Whether `vjp` reads input `index`'s values, given which inputs need gradients (a product
  /// reads one factor only for the other factor's gradient). Defaults to `readsValues`.
  func readsInput(_ index: Int, of inputs: [Tensor]) -> Bool
  /// The batching rule (vmap): the result for physical inputs whose batch axes are `axes`
  /// (nil: not batched), and the result's batch axis. Written with public differentiable
  /// ops, so every other transform records through it (Note [Batching levels]).
  func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?)
  /// The Taylor rule (jet): the output's Taylor coefficients y_1 ... y_K given each input's
  /// (nil: a constant input) and the output y_0. Written with public differentiable ops, so
  /// every other transform records through it (Note [Jet levels], Autodiff/Jet.swift).
  func taylor(_ inputs: [Tensor], output: Tensor, series: [[Tensor]?]) throws -> [Tensor]
}

extension Primitive {
  public static var isDifferentiable: Bool { true }
  public static var readsValues: Bool { true }
  public static var readsOutput: Bool { false }
  public func readsInput(_ index: Int, of inputs: [Tensor]) -> Bool { Self.readsValues }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) { throw missingRule("vmap", Self.name) }
  public func taylor(_ inputs: [Tensor], output: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    throw missingRule("jet", Self.name)
  }
}

/// A primitive that is linear in its single tensor input (reshape, transpose, sum, slicing,
/// broadcast, ...). It states its transpose; its JVP is the primitive applied to the tangent
/// (JAX's `deflinear`).
public protocol LinearPrimitive: Primitive {
  func transpose(_ cotangent: Tensor, input: Tensor) throws -> Tensor
}

extension LinearPrimitive {
  public static var readsValues: Bool { false }

  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor) throws -> [Tensor?] {
    [try transpose(cotangent, input: inputs[0])]
  }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    guard let t = tangents[0] else { return nil }
    return try apply(self, [t])
  }
  /// Linear: the primitive applied to every coefficient (Note [Taylor rule families]).
  public func taylor(_ inputs: [Tensor], output: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try linearTaylor(self, inputs, output: output, series: series)
  }
}

/// Fails with the design's message for a missing rule: never a silent zero gradient.
func missingRule(_ mode: String, _ name: String) -> SGError {
  .runtime("[\(mode)] not implemented for \(name)")
}
