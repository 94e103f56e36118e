/// Graph passes: each takes a graph and the fetched values and rewrites the graph in place,
/// returning how many nodes it removed or changed (reported by `CompiledProgram.passReport`).
///
/// Note [Pass order]: constant folding first (it turns subgraphs into constants that CSE and
/// DCE then see), CSE next (merging duplicates leaves the copies dead), DCE last; fusion and
/// memory planning work on the result when it is compiled for execution.
public enum ProgramPasses {
  /// Nodes in an order where every node follows its inputs. Recording already produces one;
  /// the passes preserve it, and `isTopologicallyOrdered` checks it.
  public static func isTopologicallyOrdered(_ graph: Program) -> Bool {
    var ready = Set<Int>()
    for (v, value) in graph.values.enumerated() {
      if case .node = value.source { continue }
      ready.insert(v)
    }
    for node in graph.nodes {
      guard node.inputs.allSatisfy(ready.contains) else { return false }
      ready.insert(node.output)
    }
    return true
  }

  /// Dead-code elimination: drops nodes whose value no fetched value depends on.
  @discardableResult
  public static func eliminateDeadCode(_ graph: Program, outputs: [Int]) -> Int {
    var live = Set(outputs)
    var keep = Array(repeating: false, count: graph.nodes.count)
    for (i, node) in graph.nodes.enumerated().reversed() where live.contains(node.output) {
      keep[i] = true
      live.formUnion(node.inputs)
    }
    let removed = keep.filter { !$0 }.count
    guard removed > 0 else { return 0 }
    graph.nodes = graph.nodes.enumerated().filter { keep[$0.offset] }.map(\.element)
    reindex(graph)
    return removed
  }

  /// Common-subexpression elimination: two nodes applying equal primitives (same type and
  /// attributes, compared through their description) to the same values compute the same
  /// value; later uses are redirected to the first. Primitives whose description cannot tell
  /// instances apart (closures) are never merged.
  @discardableResult
  public static func eliminateCommonSubexpressions(_ graph: Program, outputs: inout [Int]) -> Int {
    var first: [String: Int] = [:]
    var replacement: [Int: Int] = [:]
    var merged = 0
    for i in graph.nodes.indices {
      graph.nodes[i].inputs = graph.nodes[i].inputs.map { replacement[$0] ?? $0 }
      let node = graph.nodes[i]
      guard let key = signature(node) else { continue }
      if let earlier = first[key] {
        replacement[node.output] = earlier
        merged += 1
      } else {
        first[key] = node.output
      }
    }
    outputs = outputs.map { replacement[$0] ?? $0 }
    return merged
  }

  /// Constant folding: a node whose inputs are all immutable constants (Python scalars, and
  /// values folded before) is evaluated once, now. Captured tensors are not folded: their
  /// owner may update them in place between runs.
  @discardableResult
  public static func foldConstants(_ graph: Program) throws -> Int {
    var immutable = Set<Int>()
    for (v, value) in graph.values.enumerated() {
      if case .constant(let t) = value.source, t.storage.isReadOnly { immutable.insert(v) }
    }
    var folded = 0
    for node in graph.nodes where !node.inputs.isEmpty && node.inputs.allSatisfy(immutable.contains) {
      let inputs = try node.inputs.map { v -> Tensor in
        if case .constant(let t) = graph.values[v].source { return t }
        return try Tensor(uninitializedShape: [], dtype: .float64)  // unreachable: inputs are constants
      }
      let result = try withoutGrad { try node.primitive.forwardInStorageDType(inputs) }
      result.storage.isReadOnly = true
      graph.values[node.output].source = .constant(result)
      immutable.insert(node.output)
      folded += 1
    }
    guard folded > 0 else { return 0 }
    graph.nodes.removeAll { if case .constant = graph.values[$0.output].source { return true } else { return false } }
    reindex(graph)
    return folded
  }

  static func signature(_ node: Program.Node) -> String? {
    describeForCSE(node.primitive).map { "\($0) \(node.inputs)" }
  }

  /// A primitive's type and attributes as text; class instances by identity (equal only to
  /// themselves), closures not at all (nil: never merged).
  static func describeForCSE(_ x: Any) -> String? {
    let mirror = Mirror(reflecting: x)
    if mirror.displayStyle == .class { return "object@\(ObjectIdentifier(x as AnyObject).hashValue)" }
    if mirror.children.isEmpty {
      let text = String(describing: x)
      return text.contains("(Function)") ? nil : "\(mirror.subjectType):\(text)"
    }
    var parts: [String] = []
    for child in mirror.children {
      guard let part = describeForCSE(child.value) else { return nil }
      parts.append("\(child.label ?? "_")=\(part)")
    }
    return "\(mirror.subjectType)(\(parts.joined(separator: ",")))"
  }

  /// Node indices in `.node(i)` sources follow the node array after a pass removed nodes.
  static func reindex(_ graph: Program) {
    for (i, node) in graph.nodes.enumerated() { graph.values[node.output].source = .node(i) }
  }
}
