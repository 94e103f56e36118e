/// Forward mode: tangents ride along with primals, one per `jvp` nesting level.
///
/// Note [Perturbation levels]: every `jvp` call opens a fresh level number; levels only grow,
/// so while a level L is live every newer live level is nested inside it. A tensor stores its
/// tangent for each level it depends on, and (the invariant) the tangent at level L itself
/// carries tangents of older levels only. To push level L through a primitive we run the JVP
/// rule on the inputs (and output) seen from L: with L and every newer level removed. The rule's
/// own arithmetic then carries the outer levels' perturbations (the mixed terms the outer `jvp`
/// reads), and can never invent an L-by-L term. This is the tagging of Siskind & Pearlmutter; it
/// keeps nested `jvp`, `jvp` of `grad` and `grad` of `jvp` free of perturbation confusion.
///
/// Why drop the newer levels too: a tangent at an outer level M may only be read after every
/// newer level has exited, so its dependence on them is never needed. Keeping it made every op
/// carry redundant, ever-growing tangent trees (cost exponential in the program's depth with
/// three nested `jvp`s); dropping it makes each op cost about (rule size + 1)^levels.
/// Levels are never reused, so a tensor that escapes its `jvp` (a stored intermediate) can
/// never be mistaken for a live dual; its dead tangents only cost time.
///
/// Note [Forward over reverse]: tangents are propagated by `apply` whether or not grad mode
/// is on, and the reverse sweep's VJP rules are ordinary recorded ops on inputs that still
/// carry their tangents. So a gradient computed from duals carries the tangent of the
/// gradient: `jvp(grad(f))` is a Hessian-vector product with no extra machinery.
import Synchronization

private let levelCounter = Atomic<Int>(0)

struct LevelTangent {
  let level: Int
  let tangent: Tensor
}

public enum ForwardMode {
  /// A level number never handed out before, on any thread: a dual that reaches another
  /// thread can never be mistaken for one of that thread's live levels.
  public static func newLevel() -> Int {
    levelCounter.wrappingAdd(1, ordering: .relaxed).newValue
  }

  /// Opens a new nesting level for the duration of `body`.
  public static func withNewLevel<R>(_ body: (Int) throws -> R) rethrows -> R {
    try body(newLevel())
  }

  /// `primal` carrying `tangent` at `level` (plus the tangents of older levels it already has).
  /// Integer and bool primals cannot be perturbed: they are returned unchanged (zero tangent).
  public static func makeDual(_ primal: Tensor, tangent: Tensor, level: Int) throws -> Tensor {
    guard primal.dtype.isInexact else { return primal }
    guard tangent.shape == primal.shape else {
      throw SGError.value(
        "jvp: tangent shape \(describe(tangent.shape)) does not match primal shape \(describe(primal.shape))")
    }
    guard tangent.dtype != .bool else {
      throw SGError.type("jvp: tangent must be numeric, got bool for a \(primal.dtype) primal")
    }
    let dual = try primal.identityAlias()
    dual.tangents = primal.tangents.filter { $0.level < level }
    dual.jets = primal.jets.filter { $0.level < level }
    let t = try strip(cast(tangent, to: primal.dtype), level: level)
    dual.tangents.append(LevelTangent(level: level, tangent: t))
    return dual
  }

  /// The tangent of `x` at `level`, or nil (zero).
  public static func tangent(of x: Tensor, level: Int) -> Tensor? {
    x.tangents.first { $0.level == level }?.tangent
  }

  /// The tangent of `x` at `level`, with an explicit zero (of `x`'s shape and dtype) when
  /// `x` does not depend on that level's perturbation (constants, integer and bool results).
  public static func tangentOrZero(of x: Tensor, level: Int) throws -> Tensor {
    try tangent(of: x, level: level) ?? zeros(x.shape, dtype: x.dtype)
  }

  /// The levels `x` carries tangents for, outermost first.
  public static func levels(of x: Tensor) -> [Int] { x.tangents.map(\.level).sorted() }

  /// `x` seen from `level`: without its tangents at `level` and at every newer (nested) level.
  /// The graph connection is kept.
  public static func strip(_ x: Tensor, level: Int) throws -> Tensor {
    guard x.tangents.contains(where: { $0.level >= level }) || x.jets.contains(where: { $0.level >= level }) else {
      return x
    }
    let stripped = try x.identityAlias()
    stripped.tangents = x.tangents.filter { $0.level < level }
    stripped.jets = x.jets.filter { $0.level < level }
    return stripped
  }

  /// `out` as level `level`'s rule must see it: the same elements, the older levels' tangents,
  /// and (when recorded) a node of its own from `seen` inputs, as if recomputed from them.
  ///
  /// Note [No cycles through tangents]: the rule's result is stored in `out.tangents`, so it must
  /// not reference `out` itself; a recorded rule that used `out` directly would form a retain
  /// cycle (out -> tangent -> node -> out) and leak every jvp-of-grad graph. The twin shares
  /// `out`'s storage and differentiates the same way, without referencing `out`.
  static func outputSeen<P: Primitive>(_ p: P, from seen: [Tensor], _ out: Tensor, level: Int) throws
    -> Tensor
  {
    let twin = out.alias()
    twin.tangents = out.tangents.filter { $0.level < level }
    twin.jets = out.jets.filter { $0.level < level }
    if out.requiresGrad {
      twin.requiresGrad = true
      twin.gradFn = Node(p, seen, output: twin)
    }
    return twin
  }

  /// Pushes every level the inputs carry through `p`, oldest first, so that when level L's
  /// rule runs, `out` already holds the older levels' tangents it must carry.
  /// Levels up to `oldest` are skipped: a batching rule already carried them (Note [Batching levels]).
  static func propagate<P: Primitive>(_ p: P, _ inputs: [Tensor], _ out: Tensor, above oldest: Int = Int.min) throws {
    var levels: [Int] = []
    for t in inputs {
      for lt in t.tangents where lt.level > oldest && !levels.contains(lt.level) { levels.append(lt.level) }
      for ls in t.jets where ls.level > oldest && !levels.contains(ls.level) { levels.append(ls.level) }
    }
    levels.sort()
    for level in levels {
      if JetMode.isJetLevel(level, inputs) {
        try JetMode.propagate(p, inputs, out, level: level)
        continue
      }
      let seen = try inputs.map { try strip($0, level: level) }
      let tangents = inputs.map { tangent(of: $0, level: level) }
      let output = try outputSeen(p, from: seen, out, level: level)
      guard let t = try p.jvp(seen, output: output, tangents: tangents) else { continue }
      let conformed = try conform(t, to: out, rule: "[jvp] \(P.name)", what: "a tangent")
      out.tangents.append(LevelTangent(level: level, tangent: try strip(conformed, level: level)))
    }
  }

  /// A rule's result (a tangent or a Taylor coefficient) in the output's dtype and shape: cast, and
  /// broadcast when the rule returned something broadcastable to it; anything else is the rule's bug.
  static func conform(_ t: Tensor, to out: Tensor, rule: String, what: String) throws -> Tensor {
    let typed = t.dtype == out.dtype ? t : try cast(t, to: out.dtype)
    guard typed.shape != out.shape else { return typed }
    guard (try? broadcastShapes(typed.shape, out.shape)) == out.shape else {
      throw SGError.runtime(
        "\(rule) returned \(what) of shape \(describe(typed.shape)) for an output of shape \(describe(out.shape))")
    }
    return try broadcastTo(typed, out.shape)
  }
}
