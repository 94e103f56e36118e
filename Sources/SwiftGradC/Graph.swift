// swift-format-ignore-file: AlwaysUseLowerCamelCase
// (the C ABI keeps the snake_case names of include/swiftgrad.h)
import SwiftGrad

// C ABI for looking at the recorded graph (sg.graph, sg.trace). Read-only.

/// A number identifying the tensor object (not its storage) while it is alive.
@_cdecl("sg_graph_tensor_id") public func sg_graph_tensor_id(_ h: Handle) -> Int64 {
  Int64(Int(bitPattern: ObjectIdentifier(tensor(h))))
}

/// Id of the node that produced the tensor (increasing in recording order); -1 for a leaf.
@_cdecl("sg_graph_node_id") public func sg_graph_node_id(_ h: Handle) -> Int64 {
  Int64(GraphIntrospection.nodeID(of: tensor(h)) ?? -1)
}

/// 1 when the producing node's saved inputs were freed by backward (no retain_graph).
@_cdecl("sg_graph_node_released") public func sg_graph_node_released(_ h: Handle) -> Int32 {
  GraphIntrospection.isReleased(tensor(h)) ? 1 : 0
}

/// Writes up to `capacity` new handles of the producing node's inputs into `out` and the total
/// count into `*count` (call again with a bigger array when it exceeds `capacity`).
@_cdecl("sg_graph_node_inputs")
public func sg_graph_node_inputs(
  _ h: Handle?, _ out: UnsafeMutablePointer<Handle?>?, _ capacity: Int64, _ count: UnsafeMutablePointer<Int64>?
) -> Int32 {
  guarded {
    guard let h, let count else { throw SGError.value("graph_node_inputs: null argument") }
    try write(GraphIntrospection.inputs(of: tensor(h)), out, capacity, count)
  }
}

/// The tensors reachable from `root` (constants included), each after its inputs; same
/// two-call protocol as sg_graph_node_inputs.
@_cdecl("sg_graph_topological_order")
public func sg_graph_topological_order(
  _ h: Handle?, _ out: UnsafeMutablePointer<Handle?>?, _ capacity: Int64, _ count: UnsafeMutablePointer<Int64>?
) -> Int32 {
  guarded {
    guard let h, let count else { throw SGError.value("graph_topological_order: null argument") }
    try write(GraphIntrospection.topologicalOrder(tensor(h)), out, capacity, count)
  }
}

private func write(
  _ tensors: [Tensor], _ out: UnsafeMutablePointer<Handle?>?, _ capacity: Int64,
  _ count: UnsafeMutablePointer<Int64>
) throws {
  count.pointee = Int64(tensors.count)
  guard tensors.count <= capacity else { return }
  guard tensors.isEmpty || out != nil else { throw SGError.value("null output array") }
  for (i, t) in tensors.enumerated() { out![i] = retained(t) }
}
