/// Reverse mode: a reverse topological sweep over the recorded graph.
///
/// Note [Backward sweep]: the order is a reverse DFS post-order computed with an explicit
/// stack (no recursion: 10^6-node chains work). Every tensor is visited after all its
/// consumers, so its cotangent is complete when its node's VJP runs. Cotangents of fanned-out
/// values are summed as they arrive.
public enum Backward {
  /// `Tensor.backward()`: accumulates into `.grad` of leaves (and of tensors that retain grad).
  public static func run(
    _ root: Tensor, gradient: Tensor? = nil, retainGraph: Bool = false, createGraph: Bool = false
  ) throws {
    _ = try sweep(
      roots: [root], rootGradients: [gradient], targets: nil, retainGraph: retainGraph,
      createGraph: createGraph, allowUnused: true)
  }

  /// `autograd.grad`: returns d(roots)/d(inputs) without touching `.grad`.
  public static func gradients(
    of roots: [Tensor], withRespectTo inputs: [Tensor], rootGradients: [Tensor?]? = nil,
    retainGraph: Bool? = nil, createGraph: Bool = false, allowUnused: Bool = false
  ) throws -> [Tensor?] {
    try sweep(
      roots: roots, rootGradients: rootGradients ?? Array(repeating: nil, count: roots.count),
      targets: inputs, retainGraph: retainGraph ?? createGraph, createGraph: createGraph,
      allowUnused: allowUnused)
  }

  private static func sweep(
    roots: [Tensor], rootGradients: [Tensor?], targets: [Tensor]?, retainGraph: Bool,
    createGraph: Bool, allowUnused: Bool
  ) throws -> [Tensor?] {
    guard rootGradients.count == roots.count else {
      throw SGError.value("grad_outputs has \(rootGradients.count) entries for \(roots.count) outputs")
    }
    if let targets {
      for (i, t) in targets.enumerated() where !t.requiresGrad {
        throw SGError.runtime("input \(i) of grad does not require grad and does not have a grad_fn")
      }
    }
    let graph = reachedGraph(roots)
    // Cotangents, results and the `needed` marks are indexed by the tensors' numbers in
    // `graph.numbers` (Note [Identity table]).
    // A tensor's slot holds it with its cotangent: the walk's order does not retain tensors, so
    // that each is freed as soon as the sweep is past it and its consumers' nodes are released
    // (holding them all to the end kept every saved activation until the backward pass ended).
    var pending = [Pending?](repeating: nil, count: graph.numbers.count)
    for (root, given) in zip(roots, rootGradients) {
      guard root.requiresGrad else {
        throw SGError.runtime("element 0 of tensors does not require grad and does not have a grad_fn")
      }
      let seed = try given.map { g -> Tensor in
        guard g.shape == root.shape else {
          throw SGError.value(
            "gradient has shape \(describe(g.shape)) but the output has shape \(describe(root.shape))")
        }
        return try cast(g, to: root.dtype)
      } ?? implicitSeed(root)
      if let n = graph.numbers.number(of: root) { try accumulate(&pending[n], root, seed) }
    }

    var isTarget: [Bool]? = nil
    if let targets {
      var marks = [Bool](repeating: false, count: graph.numbers.count)
      for t in targets { if let n = graph.numbers.number(of: t) { marks[n] = true } }
      isTarget = marks
    }
    let needed = isTarget.map { neededTensors(graph, isTarget: $0) }
    var results = [Tensor?](repeating: nil, count: targets == nil ? 0 : graph.numbers.count)
    // Note [Backward is all or nothing]: `.grad` is written only once the whole sweep has
    // succeeded, so an error mid-way (a MemoryError, a failing hook or rule) leaves every `.grad`
    // as it was and the training loop can go on with the next step. A `.grad` that something else
    // assigned while the sweep ran (a hook, e.g. data-parallel training's bucket views) keeps that
    // assignment: the sweep's update, computed from the value before it, would undo it.
    var gradUpdates: [(tensor: Tensor, grad: Tensor, assignments: Int)] = []
    let checkAnomalies = AnomalyMode.isEnabled

    try GradMode.with(enabled: createGraph) {
      for n in graph.orderNumbers {
        if let needed, !needed[n] { continue }
        guard let (tensor, cotangent) = pending[n].take() else { continue }
        var g = cotangent
        if let extras = tensor.extras { for hook in extras.hooks { if let replaced = try hook(g) { g = replaced } } }
        if let isTarget {
          if isTarget[n] { results[n] = g }
        } else if tensor.isLeaf || tensor.retainsGrad {
          // Without create_graph a leaf owns a private copy: rules may hand the same cotangent
          // object to several inputs, and optimizers update `.grad` in place.
          let value = createGraph ? g : try ownedGradient(taking: &g)
          let total = try tensor.grad.map { try addGradients($0, value) } ?? value
          gradUpdates.append((tensor, total, tensor.gradAssignments))
        }
        guard let node = tensor.gradFn else { continue }
        let inputs = node.inputs
        // autograd.grad: a requested input's own history matters only if it leads to another
        // requested input; otherwise it is neither computed nor released.
        if let needed, !inputs.contains(where: { graph.numbers.number(of: $0).map { needed[$0] } ?? false }) {
          continue
        }
        if node.isReleased {
          throw SGError.runtime(
            "Trying to backward through the graph a second time (or directly access saved tensors "
              + "after they have already been freed). Specify retain_graph=True if you need to "
              + "backward through the graph a second time.")
        }
        try node.checkVersions(output: tensor)
        let inputGrads = try node.primitive.vjp(inputs, output: tensor, cotangent: g)
        if checkAnomalies { try checkFinite(inputGrads, of: node) }
        for (input, grad) in zip(inputs, inputGrads) {
          guard let grad, input.requiresGrad, let m = graph.numbers.number(of: input) else { continue }
          try accumulate(&pending[m], input, try conform(grad, to: input, from: node))
        }
        if !retainGraph { node.release() }
      }
    }
    for update in gradUpdates where update.tensor.gradAssignments == update.assignments {
      update.tensor.grad = update.grad
    }

    guard let targets else { return [] }
    return try targets.enumerated().map { i, t in
      if let n = graph.numbers.number(of: t), let g = results[n] { return g }
      if allowUnused { return nil }
      throw SGError.runtime(
        "One of the differentiated Tensors (input \(i)) appears to not have been used in the "
          + "graph. Set allow_unused=True if this is the desired behavior.")
    }
  }

  /// Anomaly mode: the first rule that turns finite cotangents into NaN/inf is named.
  private static func checkFinite(_ grads: [Tensor?], of node: Node) throws {
    for (i, g) in grads.enumerated() {
      guard let g, g.dtype.isFloatingPoint, try !allFinite(g) else { continue }
      let place = node.origin.map { " (the operation was created at \($0))" } ?? ""
      throw SGError.runtime("Function '\(node.name)' returned nan or inf values in its \(i)th output\(place)")
    }
  }

  private static func implicitSeed(_ root: Tensor) throws -> Tensor {
    guard root.count == 1 else {
      throw SGError.runtime(
        "grad can be implicitly created only for scalar outputs; got shape \(describe(root.shape)), "
          + "pass gradient= (grad_outputs=) of that shape")
    }
    guard !root.dtype.isComplex else {
      throw SGError.runtime("grad can be implicitly created only for real scalar outputs; got \(root.dtype)")
    }
    return try full(root.shape, 1.0, dtype: root.dtype)
  }

  /// A tensor the sweep has reached, with the sum of the cotangents that arrived so far.
  private typealias Pending = (tensor: Tensor, cotangent: Tensor)

  private static func accumulate(_ slot: inout Pending?, _ t: Tensor, _ g: Tensor) throws {
    if let existing = slot?.cotangent { slot = (t, try addGradients(existing, g)) } else { slot = (t, g) }
  }

  /// A rule's cotangent must match its input's shape and dtype; mixed-dtype ops produce the
  /// wider dtype, which is narrowed back here (float32 inputs get float32 gradients).
  private static func conform(_ g: Tensor, to input: Tensor, from node: Node) throws -> Tensor {
    if g.sparseRows != nil { return try conformedRowSparse(g, to: input, from: node.name) }
    var g = g
    if g.shape != input.shape {
      guard g.count == input.count else {
        throw SGError.runtime(
          "[vjp] \(node.name) returned a gradient of shape \(describe(g.shape)) for an input of "
            + "shape \(describe(input.shape))")
      }
      g = try reshape(g, input.shape)
    }
    if g.dtype != input.dtype { g = try cast(g, to: input.dtype) }
    return g
  }

  /// The tensors reachable from `roots` through recorded nodes, each before its inputs, and
  /// the number each got (Note [Identity table]). `order` does not retain its tensors: it is
  /// valid until the sweep releases the first node.
  struct ReachedGraph {
    var order: [Unmanaged<Tensor>] = []
    var orderNumbers: [Int] = []
    var numbers = IdentityTable()
  }

  /// The work stack holds unretained references: every tensor on it is kept alive by the
  /// caller (roots) or by a node's `inputs`, and the graph does not change during the walk.
  /// (Retaining them cost a fifth of the whole backward pass.)
  static func reachedGraph(_ roots: [Tensor]) -> ReachedGraph {
    var graph = ReachedGraph()
    var stack: [(tensor: Unmanaged<Tensor>, inputs: [Tensor], next: Int, number: Int)] = []
    func push(_ t: Tensor, _ number: Int) {
      stack.append((Unmanaged.passUnretained(t), t.gradFn?.inputs ?? [], 0, number))
    }
    for root in roots {
      let (fresh, number) = graph.numbers.insert(root)
      guard fresh else { continue }
      push(root, number)
      while !stack.isEmpty {
        let top = stack.count - 1
        let next = stack[top].next
        guard next < stack[top].inputs.count else {
          let done = stack.removeLast()
          graph.order.append(done.tensor)
          graph.orderNumbers.append(done.number)
          continue
        }
        stack[top].next = next + 1
        let child = Unmanaged.passUnretained(stack[top].inputs[next])
        let (fresh, number) = child._withUnsafeGuaranteedRef { t -> (Bool, Int) in
          t.requiresGrad ? graph.numbers.insert(t) : (false, 0)
        }
        if fresh { push(child.takeUnretainedValue(), number) }
      }
    }
    graph.order.reverse()
    graph.orderNumbers.reverse()
    return graph
  }

  /// Tensors from which some target is reachable: only their cotangents are worth computing.
  private static func neededTensors(_ graph: ReachedGraph, isTarget: [Bool]) -> [Bool] {
    var needed = isTarget
    for (tensor, n) in zip(graph.order, graph.orderNumbers).reversed() where !needed[n] {
      needed[n] = tensor._withUnsafeGuaranteedRef { t in
        t.gradFn?.inputs.contains { graph.numbers.number(of: $0).map { needed[$0] } ?? false } ?? false
      }
    }
    return needed
  }
}

extension Tensor {
  /// PyTorch's `Tensor.backward`.
  public func backward(gradient: Tensor? = nil, retainGraph: Bool = false, createGraph: Bool = false)
    throws
  {
    try Backward.run(self, gradient: gradient, retainGraph: retainGraph, createGraph: createGraph)
  }

  /// Keep `.grad` for this non-leaf tensor during backward.
  public func retainGrad() { retainsGrad = true }

  /// Registers a hook run on this tensor's gradient; returning a tensor replaces the gradient.
  public func registerHook(_ hook: @escaping (Tensor) throws -> Tensor?) { hooks.append(hook) }

  /// Marks a leaf as requiring grad; only floating-point tensors can.
  public func setRequiresGrad(_ flag: Bool) throws {
    if flag && !dtype.isInexact {
      throw SGError.runtime("only Tensors of floating point dtype can require gradients, got \(dtype)")
    }
    if !flag && !isLeaf {
      throw SGError.runtime(
        "you can only change requires_grad flags of leaf variables (this one came from \(gradFnName ?? "?"))")
    }
    requiresGrad = flag
  }

  /// A tensor sharing storage with no history (PyTorch's `detach`).
  public func detach() -> Tensor { alias() }
}
