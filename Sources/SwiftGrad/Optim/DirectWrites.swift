/// In-place writes used around the autodiff core: optimizer steps, initialisers, loading saved
/// parameters, zeroing gradients. They are kernels, not recorded operations: they change a
/// tensor's storage and bump its version counter, so a graph that saved the old values refuses
/// to run backward through them (see `Node.checkVersions`). Recorded in-place ops are in Autodiff/InPlace.swift.
public enum DirectWrite {
  /// Fills `t` with `value` (converted to its dtype).
  public static func fill(_ t: Tensor, _ value: Double) throws {
    try checkWritable(t, "fill_")
    try copyInto(t, from: full([], value, dtype: t.dtype))
    t.storage.version += 1
  }

  /// Writes `source` (broadcast to `t.shape`, converted to `t.dtype`) into `t`.
  public static func copy(_ t: Tensor, from source: Tensor) throws {
    try checkWritable(t, "copy_")
    guard broadcasts(source.shape, to: t.shape) else {
      throw SGError.value(
        "copy_: source of shape \(describe(source.shape)) cannot be broadcast to \(describe(t.shape))")
    }
    // The source may alias the destination; read it from a private copy then.
    let src = source.isSparse || source.storage === t.storage ? try source.cloned() : source
    copyInto(t, from: src)
    t.storage.version += 1
  }

  /// A tensor the caller may overwrite element by element: not produced by a recorded
  /// operation (that would silently change a graph), and not a broadcast view whose elements
  /// share memory.
  static func checkWritable(_ t: Tensor, _ what: String) throws {
    if let name = t.gradFnName {
      throw SGError.runtime(
        "\(what): cannot write in place into a tensor produced by a recorded operation (\(name)); "
          + "write into the leaf it came from, or detach() first")
    }
    try t.checkWritable(what)
  }

  static func broadcasts(_ from: [Int], to shape: [Int]) -> Bool {
    guard from.count <= shape.count else { return false }
    let lead = shape.count - from.count
    return from.enumerated().allSatisfy { i, d in d == 1 || d == shape[lead + i] }
  }

  /// Runs `body` on a contiguous tensor holding `t`'s elements and writes the result back when
  /// `t` itself is strided; bumps the version either way.
  static func updateDense(_ t: Tensor, _ body: (Tensor) throws -> Void) throws {
    if t.isContiguous {
      try body(t)
    } else {
      let dense = try t.cloned()
      try body(dense)
      copyInto(t, from: dense)
    }
    t.storage.version += 1
  }
}
