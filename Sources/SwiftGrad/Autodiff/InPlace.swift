/// In-place operations (`x += y`, `x[i] = v`): the new values are written into the target's
/// memory, so earlier views (and NumPy arrays over it) see them.
///
/// Note [In-place and history]: when the write is recorded, the target's *Swift object* keeps
/// its old history (graph nodes may hold it as an input) and a new tensor over the same storage
/// carries the new history; the Python wrapper switches to it, so Python identity is kept
/// without creating a cycle in the graph. Rules that would need the overwritten values get a
/// copy made before the write; the storage version counter catches everything else.
public enum InPlace {
  /// `target op= other`. Returns the tensor that now stands for `target` (itself unless recorded).
  public static func update(
    _ target: Tensor, _ other: Tensor, opName: String, readsTarget: Bool,
    _ op: (Tensor, Tensor) throws -> Tensor
  ) throws -> Tensor {
    try target.checkWritable(opName)
    if let written = try Batching.writeInPlace(target, other, opName: opName, readsTarget: readsTarget, {
      try op($0, other)
    }) {
      return written
    }
    try ProgramRecorder.current?.checkInPlaceWrite(to: target)
    let recording = GradMode.isEnabled && (target.requiresGrad || other.requiresGrad)
    try checkTarget(target, recording: recording, opName: opName)
    let shape = try broadcastShapes(target.shape, other.shape)
    guard shape == target.shape else {
      throw SGError.value(
        "\(opName): non-broadcastable output operand with shape \(describe(target.shape)) doesn't "
          + "match the broadcast shape \(describe(shape))")
    }
    let source = recording && readsTarget && other.requiresGrad ? try copy(target) : target
    let result = try op(source, other)
    guard kind(result.dtype) <= kind(target.dtype) else {
      throw SGError.type(
        "\(opName): result type \(result.dtype) can't be cast to the desired output type \(target.dtype)")
    }
    copyInto(target, from: result)
    target.storage.version += 1
    let updated = rebase(target, onto: result, recording: recording, wroteInput0: source === target)
    try ProgramRecorder.current?.noteInPlaceWrite(to: target, standing: updated, result: result)
    return updated
  }

  /// `target[items] = value` (NumPy casting: the value is converted to the target's dtype).
  public static func setIndex(_ target: Tensor, _ items: [IndexItem], _ value: Tensor) throws -> Tensor {
    try target.checkWritable("setitem")
    try checkNotDiscardingImaginary(target, value)
    try ProgramRecorder.current?.checkInPlaceWrite(to: target)
    let resolved = try resolveIndex(items, shape: target.shape)
    let region = target.indexedView(resolved)
    guard (try? broadcastShapes(region.shape, value.shape)) == region.shape else {
      throw SGError.value(
        "could not broadcast input array from shape \(describe(value.shape)) into shape \(describe(region.shape))")
    }
    if let written = try Batching.writeInPlace(target, value, opName: "setitem", readsTarget: false, {
      try apply(IndexPut(items: resolved), [$0, value])
    }) { return written }
    let recording = GradMode.isEnabled && (target.requiresGrad || value.requiresGrad)
    try checkTarget(target, recording: recording, opName: "setitem")
    let recorder = ProgramRecorder.current
    let tracked = recording || !target.tangents.isEmpty || !value.tangents.isEmpty || !target.jets.isEmpty
      || !value.jets.isEmpty || recorder != nil
    let result = tracked ? try apply(IndexPut(items: resolved), [target, value]) : nil
    // A value overlapping the target's memory (x[1:] = x[:-1]) is read before any write.
    copyInto(region, from: value.storage === target.storage ? try value.cloned() : value)
    target.storage.version += 1
    guard let result else { return target }
    let updated = rebase(target, onto: result, recording: recording, wroteInput0: true)
    try recorder?.noteInPlaceWrite(to: target, standing: updated, result: result)
    return updated
  }

  /// `target[items] = value` with advanced items (integer arrays, masks): NumPy semantics,
  /// the last of repeated indices wins. Recorded through `IndexSet` when tracked.
  public static func setIndex(_ target: Tensor, _ items: [AdvancedIndexItem], _ value: Tensor) throws -> Tensor {
    try checkNotDiscardingImaginary(target, value)
    let basicItems = items.compactMap { if case .basic(let b) = $0 { return b } else { return nil } }
    if basicItems.count == items.count { return try setIndex(target, basicItems, value) }
    try target.checkWritable("setitem")
    let recorder = ProgramRecorder.current
    try recorder?.checkInPlaceWrite(to: target)
    let elements = try selectedElements(target.shape, items)
    guard (try? broadcastShapes(elements.shape, value.shape)) == elements.shape else {
      throw SGError.value(
        "could not broadcast input array from shape \(describe(value.shape)) into shape \(describe(elements.shape))")
    }
    if recorder != nil && !target.dtype.isInexact {
      throw SGError.runtime("graph recording: an advanced-index write into a \(target.dtype) tensor cannot be recorded")
    }
    let recording = GradMode.isEnabled && (target.requiresGrad || value.requiresGrad)
    try checkTarget(target, recording: recording, opName: "setitem")
    let values = try broadcastTo(cast(value, to: target.dtype), elements.shape)
    if let written = try Batching.writeInPlace(target, values, opName: "setitem", readsTarget: false, { source in
      guard target.dtype.isInexact else {
        throw SGError.type("vmap: an advanced-index write into a batched \(target.dtype) tensor is not supported")
      }
      return try apply(IndexSet(elements: elements, shape: target.shape, dtype: target.dtype), [source, values])
    }) { return written }
    let tracked = recording || !target.tangents.isEmpty || !value.tangents.isEmpty || !target.jets.isEmpty
      || !value.jets.isEmpty || recorder != nil
    let result = tracked && target.dtype.isInexact
      ? try apply(IndexSet(elements: elements, shape: target.shape, dtype: target.dtype), [target, values]) : nil
    try scatterElements(into: target, elements, values.storage === target.storage ? try values.cloned() : values)
    target.storage.version += 1
    guard let result else { return target }
    let updated = rebase(target, onto: result, recording: recording, wroteInput0: true)
    try recorder?.noteInPlaceWrite(to: target, standing: updated, result: result)
    return updated
  }

  private static func checkTarget(_ target: Tensor, recording: Bool, opName: String) throws {
    if recording && target.isLeaf && target.requiresGrad {
      throw SGError.runtime(
        "a leaf Variable that requires grad is being used in an in-place operation (\(opName) on a "
          + "tensor of shape \(describe(target.shape))); wrap it in no_grad() or use an out-of-place op")
    }
  }

  private static func kind(_ d: DType) -> Int { d.kind.rank }

  /// A complex value written into a real tensor would lose its imaginary part: refused, as
  /// NumPy refuses `real_array[i] = 1j` and PyTorch any complex-to-real write.
  private static func checkNotDiscardingImaginary(_ target: Tensor, _ value: Tensor) throws {
    guard value.dtype.isComplex && !target.dtype.isComplex else { return }
    throw SGError.type(
      "setitem: cannot write \(value.dtype) values into a \(target.dtype) tensor (the imaginary part would be "
        + "lost); write real(value), or make the tensor complex")
  }

  /// The tensor that stands for `target` after the write: a new one over the same storage
  /// carrying the op's history (reverse mode) and tangents (forward mode), or `target` itself
  /// when neither mode is tracking it.
  private static func rebase(_ target: Tensor, onto result: Tensor, recording: Bool, wroteInput0: Bool) -> Tensor {
    let node = recording ? result.gradFn : nil
    guard node != nil || !result.tangents.isEmpty || !result.jets.isEmpty else { return target }
    let updated = target.alias()
    updated.tangents = result.tangents
    updated.jets = result.jets
    if let node {
      updated.requiresGrad = true
      updated.gradFn = node
      result.gradFn = nil
      node.outputVersion = target.storage.version
      if wroteInput0 { node.refreshInputVersion(0) }
    }
    return updated
  }
}
