/// Graph mode: a program recorded once as a static dataflow graph, optimised, and replayed.
///
/// Note [Recording a graph]: while a `ProgramRecorder` is active on a thread, every primitive
/// application (`apply`) is appended to its graph: the primitive instance (which carries its
/// static attributes: axes, shapes, ...), the values it read and the value it made. Because VJP
/// and JVP rules are written with primitives, a recorded `grad`, `jvp` or `hvp` records its
/// derivative computation too, so compiling a transformed function needs nothing special.
/// Tensors the recording has not seen are constants (captured by reference: an in-place update
/// of a captured tensor is seen by later runs); tensors that alias a recorded value without
/// passing through `apply` (`detach`, forward-mode duals) are recognised by sharing its storage
/// and layout.
public final class Program {
  /// Where a value comes from.
  public enum Source {
    case input(Int)
    case constant(Tensor)
    case node(Int)
  }

  public struct Value {
    public var source: Source
    public let shape: [Int]
    public let dtype: DType
    public let isWeaklyTyped: Bool
  }

  public struct Node {
    public var primitive: any Primitive
    public var inputs: [Int]
    public var output: Int
    public var name: String { type(of: primitive).name }
  }

  public internal(set) var values: [Value] = []
  public internal(set) var nodes: [Node] = []
  /// Value ids of the inputs, in feeding order.
  public internal(set) var inputs: [Int] = []

  public init() {}

  func addValue(_ source: Source, like t: Tensor) -> Int {
    values.append(Value(source: source, shape: t.shape, dtype: t.dtype, isWeaklyTyped: t.isWeaklyTyped))
    return values.count - 1
  }

  /// Consumers of each value (node indices), for the passes.
  func consumers() -> [[Int]] {
    var result = Array(repeating: [Int](), count: values.count)
    for (i, node) in nodes.enumerated() {
      for v in node.inputs where !result[v].contains(i) { result[v].append(i) }
    }
    return result
  }

  /// Graphviz text: inputs as boxes, constants as notes, operations as ellipses.
  public func dot(outputs: [Int] = []) -> String {
    var lines = ["digraph swiftgrad_graph {", "  rankdir=LR;", "  node [fontname=\"Helvetica\"];"]
    // Values of the current nodes only: passes leave removed nodes' values behind.
    let used = Set(nodes.flatMap { $0.inputs + [$0.output] } + inputs + outputs)
    for (v, value) in values.enumerated() where used.contains(v) {
      let shape = "(" + value.shape.map(String.init).joined(separator: ", ") + ")"
      switch value.source {
      case .input(let k): lines.append("  v\(v) [shape=box, label=\"input \(k)\\n\(shape) \(value.dtype)\"];")
      case .constant(let t) where t.count == 1:
        lines.append("  v\(v) [shape=note, label=\"\((try? t.scalarValue()).map { "\($0)" } ?? "?")\"];")
      case .constant: lines.append("  v\(v) [shape=note, label=\"constant\\n\(shape)\"];")
      case .node(let n) where n < nodes.count:
        let fetched = outputs.contains(v) ? ", style=bold" : ""
        lines.append("  v\(v) [label=\"\(nodes[n].name)\\n\(shape)\"\(fetched)];")
      case .node: continue
      }
    }
    for node in nodes {
      for v in node.inputs { lines.append("  v\(v) -> v\(node.output);") }
    }
    lines.append("}")
    return lines.joined(separator: "\n")
  }
}

/// Records primitive applications on this thread into a graph (see Note [Recording a graph]).
public final class ProgramRecorder {
  public let graph = Program()
  private var ids: [ObjectIdentifier: Int] = [:]
  /// Recorded tensors stay alive while recording, so their identities are not reused.
  private var seen: [Tensor] = []
  /// Non-constant values by storage, to recognise aliases made outside `apply`.
  private var byStorage: [ObjectIdentifier: [(value: Int, tensor: Tensor)]] = [:]
  /// Memory of inputs and constants: the program must not write into it.
  private var externalStorages = Set<ObjectIdentifier>()
  private var previous: ProgramRecorder?
  private var depth = 0

  public init() {}

  /// Registers `t` as the next graph input and returns the tensor the program should use.
  @discardableResult
  public func addInput(_ t: Tensor) -> Tensor {
    let v = graph.addValue(.input(graph.inputs.count), like: t)
    graph.inputs.append(v)
    remember(t, as: v, traced: true)
    externalStorages.insert(ObjectIdentifier(t.storage))
    return t
  }

  /// Runs `body` with this recorder active on the calling thread (nesting restores the outer one).
  public func record<R>(_ body: () throws -> R) throws -> R {
    try begin()
    defer { try? end() }
    return try body()
  }

  /// Makes this recorder the calling thread's active one (the previous one is restored by the
  /// matching `end`). Re-entrant on the thread that is recording.
  public func begin() throws {
    let state = ThreadState.current
    if depth > 0 {
      guard state.recorder === self else { throw SGError.runtime("this graph is already recording on another thread") }
      depth += 1
      return
    }
    previous = state.recorder
    state.recorder = self
    depth = 1
  }

  public func end() throws {
    let state = ThreadState.current
    guard depth > 0, state.recorder === self else {
      throw SGError.runtime("this graph is not the one recording on this thread")
    }
    depth -= 1
    if depth == 0 {
      state.recorder = previous
      previous = nil
    }
  }

  /// The value id of `t`: recorded, an alias of a recorded value, or a new constant.
  public func value(of t: Tensor) throws -> Int {
    if let v = ids[ObjectIdentifier(t)] { return v }
    if let owners = byStorage[ObjectIdentifier(t.storage)] {
      if let same = owners.first(where: { sameLayout($0.tensor, t) }) {
        remember(t, as: same.value, traced: false)
        return same.value
      }
      throw SGError.runtime(
        "graph recording: a tensor of shape \(describe(t.shape)) views a recorded value without going through "
          + "a recorded operation (an in-place write or a raw view); graph mode cannot replay it")
    }
    let v = graph.addValue(.constant(t), like: t)
    remember(t, as: v, traced: false)
    externalStorages.insert(ObjectIdentifier(t.storage))
    return v
  }

  func record(_ primitive: any Primitive, _ inputs: [Tensor], _ output: Tensor) throws {
    let inputIDs = try inputs.map(value(of:))
    if primitive is any OpaqueToGraph {
      // Its forward only hands back a value computed elsewhere (and recorded there).
      _ = try value(of: output)
      return
    }
    let v = graph.addValue(.node(graph.nodes.count), like: output)
    graph.nodes.append(Program.Node(primitive: primitive, inputs: inputIDs, output: v))
    remember(output, as: v, traced: true)
  }

  /// An in-place write (`+=`, `x[i] = v`) made `standing` (the tensor that now stands for
  /// `target`) hold `result`'s values. Later reads must see the new value; views of the same
  /// memory taken before the write are forgotten, so reading one fails loudly instead of
  /// replaying stale values. Writes into a graph input or a captured tensor are side effects a
  /// replay cannot repeat, and are refused.
  func noteInPlaceWrite(to target: Tensor, standing: Tensor, result: Tensor) throws {
    try checkInPlaceWrite(to: target)
    let v = try value(of: result)
    for t in seen where t.storage === target.storage { ids[ObjectIdentifier(t)] = nil }
    byStorage[ObjectIdentifier(target.storage)] = [(v, standing)]
    ids[ObjectIdentifier(standing)] = v
    seen.append(standing)
  }

  /// Index arrays (and other tensors whose *values* decide what an operation does) are read
  /// while recording and baked into the primitive; one that is an input of the graph or computed
  /// by it would make a replay silently reuse the recorded values, so it is refused.
  func requireConstant(_ t: Tensor, what: String) throws {
    let known = ids[ObjectIdentifier(t)]
    if let v = known, case .constant = graph.values[v].source { return }
    if known != nil || byStorage[ObjectIdentifier(t.storage)] != nil {
      throw SGError.runtime(
        "graph recording: \(what) of shape \(describe(t.shape)) is an input of the recorded function or computed "
          + "by it, but its values are read while recording; make it a constant (capture it, or pass it as a "
          + "static argument) or index eagerly")
    }
  }

  /// Refuses, before anything is written, an in-place write a replay could not repeat.
  func checkInPlaceWrite(to target: Tensor) throws {
    let storage = ObjectIdentifier(target.storage)
    if externalStorages.contains(storage) || byStorage[storage] == nil && ids[ObjectIdentifier(target)] == nil {
      throw SGError.runtime(
        "graph recording: an in-place write into a graph input or a captured tensor (shape "
          + "\(describe(target.shape))) cannot be replayed; compute a new tensor instead (y = x + 1, not x += 1)")
    }
    if ids[ObjectIdentifier(target)].map({ v -> Bool in
      if case .constant = graph.values[v].source { return true } else { return false }
    }) ?? false {
      throw SGError.runtime(
        "graph recording: an in-place write into a tensor created outside the recorded operations (shape "
          + "\(describe(target.shape))) cannot be replayed; compute a new tensor instead")
    }
  }

  private func remember(_ t: Tensor, as v: Int, traced: Bool) {
    ids[ObjectIdentifier(t)] = v
    seen.append(t)
    if traced { byStorage[ObjectIdentifier(t.storage), default: []].append((v, t)) }
  }

  private func sameLayout(_ a: Tensor, _ b: Tensor) -> Bool {
    a.shape == b.shape && a.strides == b.strides && a.offset == b.offset && a.dtype == b.dtype
  }

  static var current: ProgramRecorder? { ThreadState.current.recorder }
}

/// A primitive whose forward returns a value computed outside the graph (a custom rule's
/// output); recording maps it to that value instead of a node.
protocol OpaqueToGraph {}
