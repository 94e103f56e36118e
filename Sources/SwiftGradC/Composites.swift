import SwiftGrad

// C ABI for composite operations, selection (take) and linear algebra. Declared in
// include/swiftgrad.h, bound in python/csrc/composites.c.

@_cdecl("sg_softplus") public func sg_softplus(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try softplus($0[0]) } }
@_cdecl("sg_inv") public func sg_inv(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try inv($0[0]) } }
@_cdecl("sg_det") public func sg_det(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try det($0[0]) } }
@_cdecl("sg_cholesky") public func sg_cholesky(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try cholesky($0[0]) } }
@_cdecl("sg_dot") public func sg_dot(_ o: OutHandle?, _ a: Handle?, _ b: Handle?) -> Int32 { produce(o, a, b) { try dot($0[0], $0[1]) } }
@_cdecl("sg_outer") public func sg_outer(_ o: OutHandle?, _ a: Handle?, _ b: Handle?) -> Int32 { produce(o, a, b) { try outer($0[0], $0[1]) } }
@_cdecl("sg_solve") public func sg_solve(_ o: OutHandle?, _ a: Handle?, _ b: Handle?) -> Int32 { produce(o, a, b) { try solve($0[0], $0[1]) } }

/// low/high may be NULL (no bound).
@_cdecl("sg_clip") public func sg_clip(_ o: OutHandle?, _ x: Handle?, _ low: Handle?, _ high: Handle?) -> Int32 {
  produce(o, x) { try clip($0[0], low.map(tensor), high.map(tensor)) }
}

/// naxes < 0: all axes. std when `root` is 1.
@_cdecl("sg_var") public func sg_var(_ o: OutHandle?, _ x: Handle?, _ axes: UnsafePointer<Int64>?, _ n: Int32, _ ddof: Int64, _ keep: Int32, _ root: Int32) -> Int32 {
  produce(o, x) { t in
    let a = n < 0 ? nil : try intArray(axes, n, "axes")
    return root != 0
      ? try standardDeviation(t[0], axes: a, ddof: Int(ddof), keepDims: keep != 0)
      : try variance(t[0], axes: a, ddof: Int(ddof), keepDims: keep != 0)
  }
}

@_cdecl("sg_logsumexp") public func sg_logsumexp(_ o: OutHandle?, _ x: Handle?, _ axes: UnsafePointer<Int64>?, _ n: Int32, _ keep: Int32) -> Int32 {
  produce(o, x) { try logsumexp($0[0], axes: n < 0 ? nil : intArray(axes, n, "axes"), keepDims: keep != 0) }
}

/// log != 0: log_softmax.
@_cdecl("sg_softmax") public func sg_softmax(_ o: OutHandle?, _ x: Handle?, _ axis: Int64, _ log: Int32) -> Int32 {
  produce(o, x) { log != 0 ? try logSoftmax($0[0], axis: Int(axis)) : try softmax($0[0], axis: Int(axis)) }
}

/// has_axis == 0: flatten first (NumPy's take with axis=None).
@_cdecl("sg_take") public func sg_take(_ o: OutHandle?, _ x: Handle?, _ indices: Handle?, _ axis: Int64, _ hasAxis: Int32) -> Int32 {
  produce(o, x, indices) { try take($0[0], $0[1], axis: hasAxis != 0 ? Int(axis) : nil) }
}

@_cdecl("sg_take_along_axis") public func sg_take_along_axis(_ o: OutHandle?, _ x: Handle?, _ indices: Handle?, _ axis: Int64) -> Int32 {
  produce(o, x, indices) { try takeAlongAxis($0[0], $0[1], axis: Int(axis)) }
}

/// Writes up to `capacity` handles into `out` and the number of parts into `count`.
/// sections > 0: equal parts; otherwise cut at `indices`.
@_cdecl("sg_split") public func sg_split(
  _ out: UnsafeMutablePointer<Handle?>?, _ capacity: Int64, _ count: UnsafeMutablePointer<Int64>?, _ x: Handle?,
  _ sections: Int64, _ indices: UnsafePointer<Int64>?, _ nIndices: Int32, _ axis: Int64
) -> Int32 {
  guarded {
    guard let out, let count, let x else { throw SGError.value("null argument") }
    let parts = sections > 0
      ? try split(tensor(x), sections: Int(sections), axis: Int(axis))
      : try split(tensor(x), indices: intArray(indices, nIndices, "indices"), axis: Int(axis))
    count.pointee = Int64(parts.count)
    guard parts.count <= capacity else { return }
    for (i, p) in parts.enumerated() { out[i] = retained(p) }
  }
}

/// ord: used when has_ord; fro != 0: Frobenius; naxes < 0: all axes.
@_cdecl("sg_norm") public func sg_norm(_ o: OutHandle?, _ x: Handle?, _ ord: Double, _ hasOrd: Int32, _ fro: Int32, _ axes: UnsafePointer<Int64>?, _ n: Int32, _ keep: Int32) -> Int32 {
  produce(o, x) {
    try norm($0[0], ord: hasOrd != 0 ? ord : nil, frobenius: fro == 1, nuclear: fro == 2,
             axes: n < 0 ? nil : intArray(axes, n, "axes"), keepDims: keep != 0)
  }
}

// PyTorch-style scatter/gather (Sources/SwiftGrad/Primitives/DynamicGather.swift).
@_cdecl("sg_gather") public func sg_gather(_ o: OutHandle?, _ x: Handle?, _ axis: Int64, _ index: Handle?) -> Int32 {
  produce(o, x, index) { try gather($0[0], axis: Int(axis), index: $0[1]) }
}
@_cdecl("sg_scatter_add") public func sg_scatter_add(_ o: OutHandle?, _ x: Handle?, _ axis: Int64, _ index: Handle?, _ src: Handle?) -> Int32 {
  produce(o, x, index, src) { try scatterAdd($0[0], axis: Int(axis), index: $0[1], source: $0[2]) }
}
@_cdecl("sg_index_add") public func sg_index_add(_ o: OutHandle?, _ x: Handle?, _ axis: Int64, _ index: Handle?, _ src: Handle?) -> Int32 {
  produce(o, x, index, src) { try indexAdd($0[0], axis: Int(axis), index: $0[1], source: $0[2]) }
}

// Sliding windows for convolution and pooling (Sources/SwiftGrad/Primitives/Convolution.swift).
@_cdecl("sg_im2col")
public func sg_im2col(_ o: OutHandle?, _ x: Handle?, _ kh: Int64, _ kw: Int64, _ sh: Int64, _ sw: Int64, _ dh: Int64, _ dw: Int64) -> Int32 {
  produce(o, x) { try im2col($0[0], kernel: (Int(kh), Int(kw)), stride: (Int(sh), Int(sw)), dilation: (Int(dh), Int(dw))) }
}
