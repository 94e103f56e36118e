import SwiftGrad

// C ABI for the shape and math operators. Declared in
// include/swiftgrad.h, bound in python/csrc/shapemath.c.

// MARK: Elementwise unary
@_cdecl("sg_floor") public func sg_floor(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try floor($0[0]) } }
@_cdecl("sg_ceil") public func sg_ceil(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try ceil($0[0]) } }
@_cdecl("sg_erf") public func sg_erf(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try erf($0[0]) } }
@_cdecl("sg_sinh") public func sg_sinh(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try sinh($0[0]) } }
@_cdecl("sg_cosh") public func sg_cosh(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try cosh($0[0]) } }
@_cdecl("sg_arcsin") public func sg_arcsin(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try arcsin($0[0]) } }
@_cdecl("sg_arccos") public func sg_arccos(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try arccos($0[0]) } }
@_cdecl("sg_arctan") public func sg_arctan(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try arctan($0[0]) } }
@_cdecl("sg_log_sigmoid") public func sg_log_sigmoid(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try logSigmoid($0[0]) } }
@_cdecl("sg_ravel") public func sg_ravel(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try ravel($0[0]) } }
@_cdecl("sg_flatten") public func sg_flatten(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try flatten($0[0]) } }
@_cdecl("sg_round") public func sg_round(_ o: OutHandle?, _ a: Handle?, _ decimals: Int64) -> Int32 {
  produce(o, a) { try round($0[0], decimals: Int(decimals)) }
}
/// approximate: 0 the exact erf form, 1 the tanh approximation.
@_cdecl("sg_gelu") public func sg_gelu(_ o: OutHandle?, _ a: Handle?, _ approximate: Int32) -> Int32 {
  produce(o, a) { try gelu($0[0], approximate: approximate == 0 ? "none" : "tanh") }
}

// MARK: Elementwise binary
@_cdecl("sg_logaddexp") public func sg_logaddexp(_ o: OutHandle?, _ a: Handle?, _ b: Handle?) -> Int32 { produce(o, a, b) { try logaddexp($0[0], $0[1]) } }
@_cdecl("sg_hypot") public func sg_hypot(_ o: OutHandle?, _ a: Handle?, _ b: Handle?) -> Int32 { produce(o, a, b) { try hypot($0[0], $0[1]) } }
@_cdecl("sg_arctan2") public func sg_arctan2(_ o: OutHandle?, _ a: Handle?, _ b: Handle?) -> Int32 { produce(o, a, b) { try arctan2($0[0], $0[1]) } }

// MARK: Scans and ordering (has_axis == 0: the flattened array)
@_cdecl("sg_cumsum") public func sg_cumsum(_ o: OutHandle?, _ a: Handle?, _ axis: Int64, _ hasAxis: Int32) -> Int32 {
  produce(o, a) { try cumsum($0[0], axis: hasAxis != 0 ? Int(axis) : nil) }
}
@_cdecl("sg_cumprod") public func sg_cumprod(_ o: OutHandle?, _ a: Handle?, _ axis: Int64, _ hasAxis: Int32) -> Int32 {
  produce(o, a) { try cumprod($0[0], axis: hasAxis != 0 ? Int(axis) : nil) }
}
/// is_max != 0: argmax, else argmin.
@_cdecl("sg_argextremum") public func sg_argextremum(_ o: OutHandle?, _ a: Handle?, _ axis: Int64, _ hasAxis: Int32, _ keep: Int32, _ isMax: Int32) -> Int32 {
  produce(o, a) { t in
    let ax = hasAxis != 0 ? Int(axis) : nil
    return isMax != 0 ? try argmax(t[0], axis: ax, keepDims: keep != 0) : try argmin(t[0], axis: ax, keepDims: keep != 0)
  }
}
/// values != 0: the sorted values (differentiable), else the indices.
@_cdecl("sg_sort") public func sg_sort(_ o: OutHandle?, _ a: Handle?, _ axis: Int64, _ hasAxis: Int32, _ descending: Int32, _ values: Int32) -> Int32 {
  produce(o, a) { t in
    let ax = hasAxis != 0 ? Int(axis) : nil
    return values != 0 ? try sort(t[0], axis: ax, descending: descending != 0) : try argsort(t[0], axis: ax, descending: descending != 0)
  }
}
@_cdecl("sg_topk") public func sg_topk(_ values: OutHandle?, _ indices: OutHandle?, _ a: Handle?, _ k: Int64, _ axis: Int64, _ largest: Int32) -> Int32 {
  guarded {
    guard let values, let indices, let a else { throw SGError.value("null argument") }
    let (v, i) = try topk(tensor(a), k: Int(k), axis: Int(axis), largest: largest != 0)
    values.pointee = retained(v)
    indices.pointee = retained(i)
  }
}

// MARK: Shapes
/// n < 0: every axis.
@_cdecl("sg_flip") public func sg_flip(_ o: OutHandle?, _ a: Handle?, _ axes: UnsafePointer<Int64>?, _ n: Int32) -> Int32 {
  produce(o, a) { try flip($0[0], axes: n < 0 ? nil : intArray(axes, n, "axes")) }
}
/// n_axes < 0: roll the flattened array.
@_cdecl("sg_roll") public func sg_roll(_ o: OutHandle?, _ a: Handle?, _ shifts: UnsafePointer<Int64>?, _ nShifts: Int32, _ axes: UnsafePointer<Int64>?, _ nAxes: Int32) -> Int32 {
  produce(o, a) { try roll($0[0], shifts: intArray(shifts, nShifts, "shift"), axes: nAxes < 0 ? nil : intArray(axes, nAxes, "axes")) }
}
@_cdecl("sg_moveaxis") public func sg_moveaxis(_ o: OutHandle?, _ a: Handle?, _ source: UnsafePointer<Int64>?, _ nSource: Int32, _ destination: UnsafePointer<Int64>?, _ nDestination: Int32) -> Int32 {
  produce(o, a) { try moveaxis($0[0], source: intArray(source, nSource, "source"), destination: intArray(destination, nDestination, "destination")) }
}
@_cdecl("sg_swapaxes") public func sg_swapaxes(_ o: OutHandle?, _ a: Handle?, _ axis1: Int64, _ axis2: Int64) -> Int32 {
  produce(o, a) { try swapaxes($0[0], Int(axis1), Int(axis2)) }
}
@_cdecl("sg_tile") public func sg_tile(_ o: OutHandle?, _ a: Handle?, _ reps: UnsafePointer<Int64>?, _ n: Int32) -> Int32 {
  produce(o, a) { try tile($0[0], reps: intArray(reps, n, "reps")) }
}
/// repeats: an integer tensor (0-d or 1-d); has_axis == 0: the flattened array.
@_cdecl("sg_repeat") public func sg_repeat(_ o: OutHandle?, _ a: Handle?, _ repeats: Handle?, _ axis: Int64, _ hasAxis: Int32) -> Int32 {
  produce(o, a, repeats) { try repeatElements($0[0], repeats: $0[1], axis: hasAxis != 0 ? Int(axis) : nil) }
}
/// pad_width: an integer tensor broadcastable to (ndim, 2); mode: "constant", "reflect",
/// "symmetric", "edge" or "wrap"; value: the constant.
@_cdecl("sg_pad") public func sg_pad(_ o: OutHandle?, _ a: Handle?, _ padWidth: Handle?, _ mode: UnsafePointer<CChar>?, _ value: Double) -> Int32 {
  produce(o, a, padWidth) { t in
    guard let mode else { throw SGError.value("pad: null mode") }
    return try pad(t[0], t[1], mode: String(cString: mode), value: value)
  }
}
@_cdecl("sg_tril") public func sg_tril(_ o: OutHandle?, _ a: Handle?, _ k: Int64) -> Int32 { produce(o, a) { try tril($0[0], k: Int(k)) } }
@_cdecl("sg_triu") public func sg_triu(_ o: OutHandle?, _ a: Handle?, _ k: Int64) -> Int32 { produce(o, a) { try triu($0[0], k: Int(k)) } }
@_cdecl("sg_diag") public func sg_diag(_ o: OutHandle?, _ a: Handle?, _ k: Int64) -> Int32 { produce(o, a) { try diag($0[0], k: Int(k)) } }
/// sum != 0: the trace (sum of the diagonal) instead of the diagonal itself.
@_cdecl("sg_diagonal") public func sg_diagonal(_ o: OutHandle?, _ a: Handle?, _ offset: Int64, _ axis1: Int64, _ axis2: Int64, _ sum: Int32) -> Int32 {
  produce(o, a) { t in
    sum != 0
      ? try trace(t[0], offset: Int(offset), axis1: Int(axis1), axis2: Int(axis2))
      : try diagonal(t[0], offset: Int(offset), axis1: Int(axis1), axis2: Int(axis2))
  }
}
/// Writes up to `capacity` handles into `out` and the number of outputs into `count`.
@_cdecl("sg_meshgrid") public func sg_meshgrid(
  _ out: UnsafeMutablePointer<Handle?>?, _ capacity: Int64, _ count: UnsafeMutablePointer<Int64>?,
  _ xs: UnsafePointer<Handle?>?, _ n: Int32, _ ij: Int32
) -> Int32 {
  guarded {
    guard let out, let count else { throw SGError.value("null argument") }
    let grids = try meshgrid(handles(xs, n, "arrays"), indexing: ij != 0 ? "ij" : "xy")
    count.pointee = Int64(grids.count)
    guard grids.count <= capacity else { return }
    for (i, g) in grids.enumerated() { out[i] = retained(g) }
  }
}
@_cdecl("sg_einsum") public func sg_einsum(_ o: OutHandle?, _ subscripts: UnsafePointer<CChar>?, _ xs: UnsafePointer<Handle?>?, _ n: Int32) -> Int32 {
  produce(o) { _ in
    guard let subscripts else { throw SGError.value("einsum: null subscripts") }
    return try einsum(String(cString: subscripts), handles(xs, n, "operands"))
  }
}
