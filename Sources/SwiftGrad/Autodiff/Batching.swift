/// The batching transform (`vmap`): batched tensors carry a batch axis per nesting level.
///
/// Note [Batching levels]: `vmap` opens a level (numbered by the same counter as forward mode,
/// so levels of the two transforms are ordered by nesting) and hands the function *logical*
/// tensors: each has the per-example shape and a `batch` record naming its level, the
/// *physical* tensor holding every example and the physical tensor's batch axis. When `apply`
/// meets a logical input it calls `Batching.apply`, which unwraps the inputs at the newest
/// batching level L among them (inputs not batched at L pass through with axis nil, including
/// tensors batched at older levels) and calls the primitive's `batch` rule. Rules are written
/// with public ops on the physical tensors, so older levels (outer `vmap`s, outer `jvp`
/// tangents, the reverse-mode graph of outer `grad`s) are carried by those ops, exactly as
/// forward mode carries older levels through JVP rules. Invariants: a physical tensor of
/// level L carries only levels older than L; tangents of levels newer than L (a `jvp` inside
/// the `vmap`) sit on the logical tensors and are pushed by `ForwardMode.propagate` after the
/// batched primal is computed.
///
/// Reverse mode inside `vmap` (`vmap(grad(f))`) records nodes on the logical tensors: their
/// VJP rules run on logical cotangents and batch like any other program. The physical graph
/// that the rules build serves transforms outside the `vmap` (`grad(vmap(f))`). A logical
/// tensor's storage fields view example 0 of its physical tensor only so that the shape-only
/// code of public functions works; kernels refuse batched tensors (`requireUnbatched`), so a
/// path that bypasses `apply` fails loudly instead of computing one example.

public struct BatchedValue {
  public let level: Int
  /// All examples: the logical shape with the batch axis inserted at `axis`.
  public let value: Tensor
  public let axis: Int
}

/// What random ops do inside `vmap` (torch.func's `randomness`).
public enum Randomness: Int32, Sendable {
  case error = 0  // raise
  case different = 1  // independent samples per example
  case same = 2  // one sample shared by every example
}

struct BatchFrame {
  let level: Int
  let size: Int
  let randomness: Randomness
}

extension Tensor {
  /// Kernels read memory directly: a batched tensor's memory holds one example only.
  func requireUnbatched() throws {
    guard let batch else { return }
    throw SGError.runtime(
      "vmap: a kernel was asked to read the values of a batched tensor of shape \(describe(shape)) "
        + "(level \(batch.level)); reading values (item(), numpy(), control flow on values) is not "
        + "possible inside vmap")
  }

  /// Whether this tensor is batched at `level` (at the top of its structure).
  public func isBatched(atLevel level: Int) -> Bool { batch?.level == level }
}

public enum Batching {
  /// A fresh level, ordered with forward-mode levels.
  public static func newLevel() -> Int { ForwardMode.newLevel() }

  /// The logical tensor seen inside `vmap` for `physical`, whose `axis` indexes the examples.
  public static func makeBatched(_ physical: Tensor, axis: Int, level: Int) throws -> Tensor {
    let a = try normalizeAxis(axis, ndim: physical.ndim, op: "vmap")
    // The logical view points at example 0 (Note [Batching levels]); there must be one.
    guard physical.shape[a] > 0 else {
      throw SGError.value("vmap: the mapped axis \(a) of shape \(describe(physical.shape)) has size 0")
    }
    var (shape, strides) = (physical.shape, physical.strides)
    shape.remove(at: a)
    strides.remove(at: a)
    let t = Tensor(
      storage: physical.storage, shape: shape, strides: strides, offset: physical.offset, dtype: physical.dtype)
    t.batch = BatchedValue(level: level, value: physical, axis: a)
    // Reverse transforms inside the vmap must know that an outer one differentiates the
    // examples (Note [Differentiable results]): the logical tensor requires grad when they do.
    t.requiresGrad = physical.requiresGrad
    return t
  }

  /// `x` at `level`: its physical tensor and batch axis, or `x` itself and nil.
  public static func unwrap(_ x: Tensor, level: Int) -> (value: Tensor, axis: Int?) {
    guard let b = x.batch, b.level == level else { return (x, nil) }
    return (b.value, b.axis)
  }

  /// The physical result of leaving level `level`: the batch axis moved to `outAxis`;
  /// an unbatched result is broadcast along a new axis of `size` (JAX's semantics).
  public static func exit(_ x: Tensor, level: Int, size: Int, outAxis: Int?) throws -> Tensor {
    let (value, axis) = unwrap(x, level: level)
    guard let outAxis else {
      guard axis == nil else {
        throw SGError.value(
          "vmap: out_axes is None for an output that depends on the batched inputs (shape \(describe(x.shape)))")
      }
      return x
    }
    let target = try normalizeAxisForVmap(outAxis, ndim: x.ndim + 1, what: "out_axes")
    guard let axis else {
      var shape = x.shape
      shape.insert(size, at: target)
      guard size > 0 else { throw SGError.value("vmap: the batch size must be positive, got \(size)") }
      _ = try checkedElementCount(shape, "vmap")  // a broadcast view: its size must not overflow
      return try broadcastTo(expandDims(x, axis: target), shape)
    }
    return try moveAxis(value, from: axis, to: target)
  }

  /// Runs `body` with level `level` of `size` examples open (randomness, custom rules).
  public static func withLevel<R>(
    _ level: Int, size: Int, randomness: Randomness, _ body: () throws -> R
  ) rethrows -> R {
    let state = ThreadState.current
    state.batchFrames.append(BatchFrame(level: level, size: size, randomness: randomness))
    defer { state.batchFrames.removeLast() }
    return try body()
  }

  /// `withLevel` for callers that cannot pass a closure (the C ABI): pair every push with a pop.
  public static func push(level: Int, size: Int, randomness: Randomness) {
    ThreadState.current.batchFrames.append(BatchFrame(level: level, size: size, randomness: randomness))
  }
  public static func pop() { _ = ThreadState.current.batchFrames.popLast() }

  /// The level whose batching rule is running (set around every rule call).
  static var ruleLevel: Int? { ThreadState.current.ruleLevels.last }

  /// `p` applied to inputs some of which are batched (Note [Batching levels]).
  static func apply<P: Primitive>(_ p: P, _ inputs: [Tensor]) throws -> Tensor {
    let level = inputs.reduce(Int.min) { Swift.max($0, $1.batch?.level ?? Int.min) }
    var newest = Int.max
    for t in inputs {
      for lt in t.tangents where lt.level > level { newest = Swift.min(newest, lt.level) }
      for ls in t.jets where ls.level > level { newest = Swift.min(newest, ls.level) }
    }
    if newest != Int.max {
      // Tangents of a `jvp` nested inside this `vmap`: primal first, then those levels.
      let seen = try inputs.map { try ForwardMode.strip($0, level: newest) }
      let out = try apply(p, seen)
      guard out.dtype.isInexact && P.isDifferentiable else { return out }
      if GradMode.isEnabled && inputs.contains(where: \.requiresGrad) {
        // The node reads the inputs with their tangents, as `apply` records it: the VJP rule
        // then carries them (Note [Forward over reverse]).
        out.gradFn = Node(p, inputs, output: out)
      }
      try ForwardMode.propagate(p, inputs, out, above: level)
      return out
    }
    let unwrapped = inputs.map { unwrap($0, level: level) }
    let state = ThreadState.current
    state.ruleLevels.append(level)
    let (value, axis) = try { () throws -> (Tensor, Int?) in
      defer { state.ruleLevels.removeLast() }
      return try p.batch(unwrapped.map(\.value), axes: unwrapped.map(\.axis))
    }()
    let out: Tensor
    if let axis {
      out = try makeBatched(value, axis: axis, level: level)
    } else {
      out = try value.identityAlias()
      out.tangents = value.tangents
      out.jets = value.jets
    }
    if out.dtype.isInexact && P.isDifferentiable && state.gradEnabled && inputs.contains(where: \.requiresGrad) {
      out.requiresGrad = true
      out.gradFn = Node(p, inputs, output: out)
    }
    return out
  }

  /// Samples for a random op of logical `shape`: the innermost levels asking for different
  /// samples get their own examples; an `error` level raises.
  static func randomSamples(_ shape: [Int], op: String, _ draw: ([Int]) throws -> Tensor) throws -> Tensor {
    let frames = ThreadState.current.batchFrames
    if let strict = frames.last(where: { $0.randomness == .error }) {
      throw SGError.runtime(
        "vmap: random operation '\(op)' inside vmap (level \(strict.level)) with randomness='error'; pass "
          + "randomness='different' or 'same'")
    }
    let different = frames.filter { $0.randomness == .different }
    var t = try draw(different.map(\.size) + shape)
    for frame in different { t = try makeBatched(t, axis: 0, level: frame.level) }
    return t
  }

  /// An in-place write involving batched tensors: the new value is computed out of place
  /// (batched and recorded like any op), written into the target's examples, and returned to
  /// stand for the target. Nil when neither operand is batched. `compute` gets the tensor to
  /// read the target's old values from: a copy when a recorded rule will read them (the write
  /// changes the target's memory, Note [In-place and history]).
  static func writeInPlace(
    _ target: Tensor, _ other: Tensor, opName: String, readsTarget: Bool, _ compute: (Tensor) throws -> Tensor
  ) throws -> Tensor? {
    let level = Swift.max(target.batch?.level ?? Int.min, other.batch?.level ?? Int.min)
    guard level != Int.min else { return nil }
    guard let written = target.batch, written.level == level else {
      throw SGError.value(
        "vmap: \(opName) writes a batched value into an unbatched tensor of shape \(describe(target.shape)); "
          + "the tensor written into must be batched too (or use an out-of-place op)")
    }
    guard written.value.batch == nil else {
      throw SGError.value(
        "vmap: \(opName) into a tensor batched by nested vmaps is not supported; use an out-of-place op")
    }
    try written.value.checkWritable(opName)
    let recording = GradMode.isEnabled && (target.requiresGrad || other.requiresGrad)
    let result = try compute(recording && readsTarget ? copy(target) : target)
    guard DType.promote(result.dtype, target.dtype) == target.dtype || result.dtype == target.dtype else {
      throw SGError.type(
        "\(opName): result type \(result.dtype) can't be cast to the desired output type \(target.dtype)")
    }
    let size = written.value.shape[written.axis]
    let examples = try withoutGrad { try exit(result, level: level, size: size, outAxis: written.axis) }
    guard examples.batch == nil else {
      throw SGError.value(
        "vmap: \(opName) writes a value batched by an outer vmap into a tensor of shape \(describe(target.shape)) "
          + "that only the inner vmap batches; use an out-of-place op")
    }
    copyInto(written.value, from: examples)
    written.value.storage.version += 1
    return try cast(result, to: target.dtype)
  }

  // MARK: Helpers for batching rules

  /// The batch size of the batched operands (the rule is only called when there is one).
  public static func size(_ inputs: [Tensor], _ axes: [Int?]) -> Int {
    for (x, a) in zip(inputs, axes) { if let a { return x.shape[a] } }
    return 1
  }

  /// `x` with its batch axis first (a view); unbatched operands are returned unchanged.
  public static func front(_ x: Tensor, _ axis: Int?) throws -> Tensor {
    guard let axis, axis != 0 else { return x }
    return try moveAxis(x, from: axis, to: 0)
  }

  /// `x` with the batch axis first, an unbatched operand broadcast to `size` examples.
  public static func materialized(_ x: Tensor, _ axis: Int?, size: Int) throws -> Tensor {
    if axis != nil { return try front(x, axis) }
    return try broadcastTo(expandDims(x, axis: 0), [size] + x.shape)
  }

  /// Operands of a broadcasting op: batched ones with the batch axis first and size-1 axes
  /// after it up to the largest logical rank, so the batch axis never meets a logical one.
  public static func aligned(_ inputs: [Tensor], _ axes: [Int?]) throws -> [Tensor] {
    let rank = zip(inputs, axes).map { $0.ndim - ($1 == nil ? 0 : 1) }.max() ?? 0
    return try zip(inputs, axes).map { x, a in a == nil ? x : try padded(front(x, a), toRank: rank) }
  }

  /// A batch-first `x` with size-1 axes inserted after the batch axis up to logical `rank`.
  public static func padded(_ x: Tensor, toRank rank: Int) throws -> Tensor {
    let missing = rank - (x.ndim - 1)
    guard missing > 0 else { return x }
    return try reshape(x, [x.shape[0]] + [Int](repeating: 1, count: missing) + Array(x.shape.dropFirst()))
  }

  /// A single-input rule that only needs the batch axis first and the op's axes shifted.
  public static func shifted(_ x: Tensor, _ axis: Int?, _ body: (Tensor) throws -> Tensor) throws -> (Tensor, Int?) {
    (try body(front(x, axis)), 0)
  }

  /// int64 offsets b * step for example b, shaped [B, 1, ...] with `rank` dimensions.
  public static func exampleOffsets(_ size: Int, step: Int, rank: Int) throws -> Tensor {
    let t = try Tensor(uninitializedShape: [size] + [Int](repeating: 1, count: Swift.max(rank - 1, 0)), dtype: .int64)
    let p = t.pointer(Int64.self)
    for b in 0..<size { p[b] = Int64(b) * Int64(step) }
    return t
  }

  /// A cotangent computed at `level` for a physical input with batch axis `axis`: moved to
  /// that axis, or summed over the examples when the input was not batched (it was shared).
  static func physicalCotangent(_ g: Tensor, level: Int, for input: Tensor, axis: Int?) throws -> Tensor {
    let (value, gAxis) = unwrap(g, level: level)
    guard let axis else { return try gAxis.map { try sum(value, axes: [$0]) } ?? value }
    return try exit(g, level: level, size: input.shape[axis], outAxis: axis)
  }

  /// Merges the batch axis (first) into the next axis: [B, N, ...] -> [B*N, ...].
  public static func mergeFront(_ x: Tensor) throws -> Tensor {
    try reshape(x, [x.shape[0] * x.shape[1]] + Array(x.shape.dropFirst(2)))
  }
}

/// `x` with axis `from` moved to position `to` (NumPy's `moveaxis`), a view.
public func moveAxis(_ x: Tensor, from: Int, to: Int) throws -> Tensor {
  let f = try normalizeAxis(from, ndim: x.ndim, op: "moveaxis")
  let t = try normalizeAxis(to, ndim: x.ndim, op: "moveaxis")
  if f == t { return x }
  var order = Array(0..<x.ndim)
  order.remove(at: f)
  order.insert(f, at: t)
  return try transpose(x, order)
}

/// An in_axes/out_axes entry checked against `ndim` dimensions, negatives from the end.
func normalizeAxisForVmap(_ axis: Int, ndim: Int, what: String) throws -> Int {
  let a = axis < 0 ? axis + ndim : axis
  guard a >= 0 && a < ndim else {
    throw SGError.value("vmap: \(what) \(axis) is out of range for a value with \(ndim) dimensions")
  }
  return a
}
