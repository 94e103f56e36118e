/// A recorded graph optimised for a set of fetched values and ready to run with new inputs.
///
/// `run` executes forward kernels only, in one call: fused elementwise groups (Note [Elementwise
/// fusion]) and every other node's `forward`, dropping each intermediate as soon as its last
/// reader ran (liveness-based planning; freed large buffers go back to the allocator's cache and
/// are reused by later nodes). `runRecorded` replays the unfused nodes through `apply` instead,
/// so its results carry gradients and tangents: that is how a compiled function is
/// differentiated (and how a compiled call is recorded into an enclosing recording).
public final class CompiledProgram {
  enum Step {
    case node(Int)
    case fused(FusedGroup)
  }

  public let graph: Program
  public private(set) var outputs: [Int]
  /// What each pass did: nodes folded, merged, removed, fused; the memory plan's effect.
  public private(set) var passReport: [(pass: String, effect: String)] = []
  public var nodeCount: Int { graph.nodes.count }
  public private(set) var fusedGroupCount = 0
  private var steps: [Step] = []
  /// The nodes as recorded, for `runRecorded`.
  private let recordedNodes: [Program.Node]
  private var releaseAfter: [[Int]] = []

  /// Copies `graph` (a recording can be compiled for several fetch sets) and optimises the copy.
  public init(_ recorded: Program, outputs: [Int], optimize: Bool = true) throws {
    for v in outputs where v < 0 || v >= recorded.values.count {
      throw SGError.index("fetched value \(v) is not in the graph (\(recorded.values.count) values)")
    }
    graph = Program()
    graph.values = recorded.values
    graph.nodes = recorded.nodes
    graph.inputs = recorded.inputs
    recordedNodes = recorded.nodes
    self.outputs = outputs
    if optimize {
      let before = graph.nodes.count
      passReport.append(("recorded", "\(before) nodes"))
      let folded = try ProgramPasses.foldConstants(graph)
      passReport.append(("constant folding", "\(folded) nodes evaluated once at compile time"))
      let merged = ProgramPasses.eliminateCommonSubexpressions(graph, outputs: &self.outputs)
      passReport.append(("common-subexpression elimination", "\(merged) duplicate nodes merged"))
      let removed = ProgramPasses.eliminateDeadCode(graph, outputs: self.outputs)
      passReport.append(("dead-code elimination",
        "\(removed) nodes removed (\(folded + merged) of them left dead above)"))
    }
    plan(fuse: optimize)
    constants = graph.values.map { value in
      if case .constant(let t) = value.source { return t }
      return nil
    }
  }

  private func plan(fuse: Bool) {
    var readers = Array(repeating: [Int](), count: graph.values.count)
    for (i, node) in graph.nodes.enumerated() { for v in node.inputs { readers[v].append(i) } }
    let fetched = Set(outputs)
    var groupAt: [Int: FusedGroup] = [:]
    var member = Set<Int>()
    var fusedNodes = 0
    if fuse {
      for nodes in FusionPlan(graph, outputs: outputs).groups {
        let inside = Set(nodes)
        let readOutside = Set(nodes.map { graph.nodes[$0].output }.filter { v in
          fetched.contains(v) || readers[v].contains { !inside.contains($0) }
        })
        guard let group = FusedGroup(members: nodes, graph: graph, readOutside: readOutside) else { continue }
        groupAt[nodes[nodes.count - 1]] = group
        member.formUnion(nodes)
        fusedNodes += nodes.count
      }
      fusedGroupCount = groupAt.count
      passReport.append(("elementwise fusion", "\(fusedNodes) nodes fused into \(groupAt.count) loops"))
    }
    steps = []
    for i in graph.nodes.indices {
      if let group = groupAt[i] { steps.append(.fused(group)) } else if !member.contains(i) { steps.append(.node(i)) }
    }
    // Liveness: a value dies after the last step that reads it (fetched values never do).
    var lastStep: [Int: Int] = [:]
    for (s, step) in steps.enumerated() {
      for v in reads(step) { lastStep[v] = s }
    }
    releaseAfter = Array(repeating: [], count: steps.count)
    for (v, s) in lastStep where !fetched.contains(v) {
      if case .node = graph.values[v].source { releaseAfter[s].append(v) }
    }
    if fuse { passReport.append(("memory plan", memoryReport())) }
  }

  private func reads(_ step: Step) -> [Int] {
    switch step {
    case .node(let i): return graph.nodes[i].inputs
    case .fused(let group): return group.externals
    }
  }

  private func writes(_ step: Step) -> [Int] {
    switch step {
    case .node(let i): return [graph.nodes[i].output]
    case .fused(let group): return group.outputs
    }
  }

  /// Peak bytes of intermediates alive at once, keeping every value versus freeing at last use.
  private func memoryReport() -> String {
    func bytes(_ v: Int) -> Int { graph.values[v].shape.reduce(1, *) * graph.values[v].dtype.itemSize }
    var keepAll = 0
    var live = 0
    var peak = 0
    for (s, step) in steps.enumerated() {
      let made = writes(step).reduce(0) { $0 + bytes($1) }
      keepAll += made
      live += made
      peak = Swift.max(peak, live)
      live -= releaseAfter[s].reduce(0) { $0 + bytes($1) }
    }
    let unfused = graph.nodes.reduce(0) { $0 + bytes($1.output) }
    return "peak live intermediates \(peak) bytes (without freeing at last use \(keepAll); without fusion \(unfused))"
  }

  /// Checks that `inputs` match the recorded inputs' shapes and dtypes.
  private func validate(_ inputs: [Tensor]) throws {
    guard inputs.count == graph.inputs.count else {
      throw SGError.value("the compiled graph takes \(graph.inputs.count) inputs, got \(inputs.count)")
    }
    for (k, (t, v)) in zip(inputs, graph.inputs).enumerated() {
      let expected = graph.values[v]
      guard t.shape == expected.shape else {
        throw SGError.value(
          "input \(k) has shape \(describe(t.shape)) but the graph was recorded with shape \(describe(expected.shape))")
      }
      guard t.dtype == expected.dtype else {
        throw SGError.type("input \(k) has dtype \(t.dtype) but the graph was recorded with dtype \(expected.dtype)")
      }
    }
  }

  /// Constants in place, inputs fed: the starting point of a run (constants are laid out once).
  private func environment(_ inputs: [Tensor]) -> [Tensor?] {
    var env = constants
    for (k, v) in graph.inputs.enumerated() { env[v] = inputs[k] }
    return env
  }

  /// Laid out once at the end of `init` (runs may happen on several threads at once).
  private var constants: [Tensor?] = []

  /// Values of the fetched outputs; no autograd recording.
  public func run(_ inputs: [Tensor]) throws -> [Tensor] {
    try validate(inputs)
    var env = environment(inputs)
    try withoutGrad {
      for (s, step) in steps.enumerated() {
        switch step {
        case .node(let i):
          let node = graph.nodes[i]
          env[node.output] = try node.primitive.forwardInStorageDType(node.inputs.map { try operand(env, $0) })
        case .fused(let group):
          let results = try group.run(try group.externals.map { try operand(env, $0) })
          for (v, t) in zip(group.outputs, results) { env[v] = t }
        }
        for v in releaseAfter[s] { env[v] = nil }
      }
    }
    return try outputs.map { try operand(env, $0) }
  }

  /// `run`, or `runRecorded` when the results must carry history: an input requires grad (and
  /// grad mode is on), carries forward-mode tangents, or an enclosing recording is active.
  public func call(_ inputs: [Tensor]) throws -> [Tensor] {
    let needsHistory = ProgramRecorder.current != nil
      || inputs.contains { ($0.requiresGrad && GradMode.isEnabled) || !$0.isUnperturbed }
    return needsHistory ? try runRecorded(inputs) : try run(inputs)
  }

  /// The unoptimised node list replayed through `apply`: differentiable results.
  public func runRecorded(_ inputs: [Tensor]) throws -> [Tensor] {
    try validate(inputs)
    var env = environment(inputs)
    for node in recordedNodes {
      env[node.output] = try apply(node.primitive, node.inputs.map { try operand(env, $0) })
    }
    return try outputs.map { try operand(env, $0) }
  }

  private func operand(_ env: [Tensor?], _ v: Int) throws -> Tensor {
    guard let t = env[v] else { throw SGError.runtime("compiled graph: value \(v) was used before it was computed") }
    return t
  }
}
