import Synchronization

/// The last node id handed out (an atomic counter: no lock per recorded op).
private let lastNodeID = Atomic<Int>(0)

/// A recorded application of a primitive: the reverse-mode graph is made of these, linked
/// through the tensors they consumed (`Tensor.gradFn` -> `Node.inputs` -> their `gradFn`s).
///
/// The node does not hold its output (that would be a cycle); backward reaches each node through
/// the output tensor that a consumer or the caller holds, and hands that tensor to `vjp`.
final class Node {
  let primitive: any Primitive
  private(set) var inputs: [Tensor]
  /// Storage versions of the inputs when recorded; backward refuses stale saved values. The
  /// first two are stored inline (unary and binary ops then record without another allocation).
  private var firstInputVersions = (0, 0)
  private var laterInputVersions: [Int] = []
  /// Storage version of the output when recorded (rules may read the output's values).
  var outputVersion: Int
  private(set) var isReleased = false
  /// Where the op was created (set by clients in anomaly-detection mode, e.g. "file.py:12").
  var origin: String?
  /// Increases in recording order (process-wide); graph introspection uses it to list a
  /// Wengert list in the order the program ran.
  let id: Int = Node.makeID()

  private static func makeID() -> Int { lastNodeID.wrappingAdd(1, ordering: .relaxed).newValue }

  init(_ primitive: any Primitive, _ inputs: [Tensor], output: Tensor) {
    self.primitive = primitive
    self.inputs = inputs
    self.outputVersion = output.storage.version
    for i in inputs.indices { setInputVersion(i, inputs[i].storage.version) }
  }

  private func inputVersion(_ i: Int) -> Int {
    switch i {
    case 0: return firstInputVersions.0
    case 1: return firstInputVersions.1
    default: return laterInputVersions[i - 2]
    }
  }

  private func setInputVersion(_ i: Int, _ version: Int) {
    switch i {
    case 0: firstInputVersions.0 = version
    case 1: firstInputVersions.1 = version
    default:
      if laterInputVersions.isEmpty { laterInputVersions = [Int](repeating: 0, count: inputs.count - 2) }
      laterInputVersions[i - 2] = version
    }
  }

  /// After an in-place op wrote into input `i` itself (its rule never reads that input).
  func refreshInputVersion(_ i: Int) { setInputVersion(i, inputs[i].storage.version) }

  var name: String { type(of: primitive).name }

  /// Drops the saved inputs after a backward pass without `retain_graph`.
  func release() {
    isReleased = true
    var taken = inputs
    inputs = []
    Node.teardown(&taken)
  }

  /// Throws if a value the rule reads was modified in place after it was recorded.
  func checkVersions(output: Tensor) throws {
    let rule = type(of: primitive)
    if rule.readsOutput && output.storage.version != outputVersion {
      throw SGError.runtime(
        "one of the variables needed for gradient computation has been modified by an inplace "
          + "operation: the output of \(name) (shape \(describe(output.shape)), \(output.dtype)) is at "
          + "version \(output.storage.version); expected version \(outputVersion)")
    }
    for (i, t) in inputs.enumerated()
    where t.storage.version != inputVersion(i) && primitive.readsInput(i, of: inputs) {
      throw SGError.runtime(
        "one of the variables needed for gradient computation has been modified by an inplace "
          + "operation: input \(i) of \(name) (shape \(describe(t.shape)), \(t.dtype)) is at "
          + "version \(t.storage.version); expected version \(inputVersion(i))")
    }
  }

  deinit { Node.teardown(&inputs) }

  // Note [Iterative teardown]: releasing a long chain through ARC recurses through deinit
  // (tensor -> node -> input tensor -> node ...) and overflows the stack near 10^5 nodes.
  // Before a tensor or node goes, we detach the nodes that only it keeps alive and free them
  // from a work list instead.

  static func releaseIteratively(_ tensor: Tensor) {
    guard var node = tensor.gradFn else { return }
    tensor.gradFn = nil
    guard isKnownUniquelyReferenced(&node) else { return }
    var work = [node]
    drain(&work)
  }

  private static func teardown(_ inputs: inout [Tensor]) {
    guard !inputs.isEmpty else { return }
    var work: [Node] = []
    detachChildren(&inputs, into: &work)
    drain(&work)
  }

  private static func drain(_ work: inout [Node]) {
    while let node = work.popLast() {
      detachChildren(&node.inputs, into: &work)
    }
  }

  private static func detachChildren(_ inputs: inout [Tensor], into work: inout [Node]) {
    for i in inputs.indices {
      guard isKnownUniquelyReferenced(&inputs[i]), var child = inputs[i].gradFn else { continue }
      inputs[i].gradFn = nil
      if isKnownUniquelyReferenced(&child) { work.append(child) } else { inputs[i].gradFn = child }
    }
    inputs.removeAll()
  }
}
