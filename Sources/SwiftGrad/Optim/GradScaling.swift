/// Loss scaling (`sg.amp.GradScaler`): the one kernel it needs. Gradients of a scaled loss are
/// multiplied back by 1/scale in place, and the scaler learns whether any was inf or NaN (the
/// step is then skipped and the scale backed off). A direct write (Optim/DirectWrites.swift):
/// no graph, versions bumped.
public enum GradScaling {
  /// Multiplies every gradient by `inverseScale` in place; true when any element was not finite.
  /// All gradients are checked before any is written, so a refused input leaves all unchanged.
  public static func unscale(_ grads: [Tensor], inverseScale: Double) throws -> Bool {
    guard inverseScale.isFinite else { throw SGError.value("unscale_: inverse scale \(inverseScale) is not finite") }
    for g in grads {
      guard g.dtype.isFloatingPoint else {
        throw SGError.type("unscale_: gradients must be floating point, got \(g.dtype)")
      }
      try DirectWrite.checkWritable(g, "unscale_")
    }
    var foundNonFinite = false
    try withoutGrad {
      for g in grads {
        if !foundNonFinite, try !allFinite(g) { foundNonFinite = true }
        let scaled = try mul(g, full([], inverseScale, dtype: g.dtype.computeDType))
        try DirectWrite.copy(g, from: scaled)
      }
    }
    return foundNonFinite
  }
}
