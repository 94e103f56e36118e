/// Forward mode: tangents ride along with primals, one per `jvp` nesting level.
///
/// Note [Perturbation levels]: every `jvp` call opens a fresh level number. A tensor stores
/// its tangent for each level it depends on. To push level L through a primitive we run the
/// JVP rule on the inputs *with level L stripped* (but other levels kept), so the rule's own
/// arithmetic carries the other levels' perturbations and never invents an L-by-L term.
/// That is the tagging of Siskind & Pearlmutter, and it keeps nested `jvp`, `jvp` of `grad`
/// and `grad` of `jvp` free of perturbation confusion. Levels are never reused, so a tensor
/// that escapes its `jvp` (a stored intermediate) can never be mistaken for a live dual.
///
/// Note [Forward over reverse]: tangents are propagated by `apply` whether or not grad mode
/// is on, and the reverse sweep's VJP rules are ordinary recorded ops on inputs that still
/// carry their tangents. So a gradient computed from duals carries the tangent of the
/// gradient: `jvp(grad(f))` is a Hessian-vector product with no extra machinery.
struct LevelTangent {
  let level: Int
  let tangent: Tensor
}

public enum ForwardMode {
  /// A level number never handed out before on this thread.
  public static func newLevel() -> Int {
    let state = ThreadState.current
    state.lastLevel += 1
    return state.lastLevel
  }

  /// Opens a new nesting level for the duration of `body`.
  public static func withNewLevel<R>(_ body: (Int) throws -> R) rethrows -> R {
    try body(newLevel())
  }

  /// `primal` carrying `tangent` at `level` (plus whatever tangents `primal` already has).
  /// Integer and bool primals cannot be perturbed: they are returned unchanged (zero tangent).
  public static func makeDual(_ primal: Tensor, tangent: Tensor, level: Int) throws -> Tensor {
    guard primal.dtype.isFloatingPoint else { return primal }
    guard tangent.shape == primal.shape else {
      throw SGError.value(
        "jvp: tangent shape \(describe(tangent.shape)) does not match primal shape \(describe(primal.shape))")
    }
    guard tangent.dtype != .bool else {
      throw SGError.type("jvp: tangent must be numeric, got bool for a \(primal.dtype) primal")
    }
    let dual = try strip(primal, level: level).identityAlias()
    dual.tangents = primal.tangents.filter { $0.level != level }
    // A tangent perturbed at this very level would feed the level into itself.
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

  /// `x` without its level-`level` tangent (other levels kept; graph connection kept).
  public static func strip(_ x: Tensor, level: Int) throws -> Tensor {
    guard x.tangents.contains(where: { $0.level == level }) else { return x }
    let stripped = try x.identityAlias()
    stripped.tangents = x.tangents.filter { $0.level != level }
    return stripped
  }

  static func propagate<P: Primitive>(_ p: P, _ inputs: [Tensor], _ out: Tensor) throws {
    var levels: [Int] = []
    for t in inputs { for lt in t.tangents where !levels.contains(lt.level) { levels.append(lt.level) } }
    for level in levels {
      let stripped = try inputs.map { try strip($0, level: level) }
      let tangents = inputs.map { tangent(of: $0, level: level) }
      // The rule may use the output; it must carry the other levels' tangents, so recompute it
      // from the stripped inputs when they still carry any.
      let output =
        stripped.contains(where: { !$0.tangents.isEmpty }) ? try apply(p, stripped) : out
      guard var t = try p.jvp(stripped, output: output, tangents: tangents) else { continue }
      if t.dtype != out.dtype { t = try cast(t, to: out.dtype) }
      if t.shape != out.shape {
        guard (try? broadcastShapes(t.shape, out.shape)) == out.shape else {
          throw SGError.runtime(
            "[jvp] \(P.name) returned a tangent of shape \(describe(t.shape)) for an output of "
              + "shape \(describe(out.shape))")
        }
        t = try broadcastTo(t, out.shape)
      }
      out.tangents.append(LevelTangent(level: level, tangent: t))
    }
  }
}
