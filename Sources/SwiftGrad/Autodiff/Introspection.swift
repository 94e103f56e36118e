/// Read-only views of the recorded reverse-mode graph, for visualisation (`sg.graph`) and the
/// Wengert-list printer (`sg.trace`). Nothing here changes the graph or records anything.
public enum GraphIntrospection {
  /// Id of the node that produced `t` (increasing in recording order), or nil for a leaf.
  public static func nodeID(of t: Tensor) -> Int? { t.gradFn?.id }

  /// The inputs of the node that produced `t` (empty for a leaf, or once the node's saved
  /// inputs were freed by a backward pass without `retain_graph`).
  public static func inputs(of t: Tensor) -> [Tensor] { t.gradFn?.inputs ?? [] }

  /// Whether `t`'s producing node was released by a backward pass.
  public static func isReleased(_ t: Tensor) -> Bool { t.gradFn?.isReleased ?? false }

  /// Every tensor reachable from `root` through recorded nodes, constants included, each after
  /// all of its inputs (a DFS post-order kept on an explicit stack, so deep graphs work).
  public static func topologicalOrder(_ root: Tensor) -> [Tensor] {
    var order: [Tensor] = []
    var visited: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
    var stack: [(Tensor, Int)] = [(root, 0)]
    while let (tensor, next) = stack.last {
      let inputs = inputs(of: tensor)
      if next < inputs.count {
        stack[stack.count - 1].1 = next + 1
        let child = inputs[next]
        if visited.insert(ObjectIdentifier(child)).inserted { stack.append((child, 0)) }
      } else {
        order.append(tensor)
        stack.removeLast()
      }
    }
    return order
  }
}
