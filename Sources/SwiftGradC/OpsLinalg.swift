import SwiftGrad

// Decompositions and friends (Sources/SwiftGrad/Primitives/Decompositions.swift). Factors are
// returned through several out-pointers.

private func factors(_ outs: [OutHandle?], _ a: Handle?, _ body: (Tensor) throws -> [Tensor]) -> Int32 {
  guarded {
    guard let a else { throw SGError.value("null tensor handle") }
    guard outs.allSatisfy({ $0 != nil }) else { throw SGError.value("null output pointer") }
    let results = try body(tensor(a))
    for (out, t) in zip(outs, results) { out?.pointee = retained(t) }
  }
}

@_cdecl("sg_eigh") public func sg_eigh(_ w: OutHandle?, _ v: OutHandle?, _ a: Handle?) -> Int32 {
  factors([w, v], a) { let (w, v) = try eigh($0); return [w, v] }
}
@_cdecl("sg_svd") public func sg_svd(_ u: OutHandle?, _ s: OutHandle?, _ vh: OutHandle?, _ a: Handle?) -> Int32 {
  factors([u, s, vh], a) { let (u, s, vh) = try svd($0); return [u, s, vh] }
}
@_cdecl("sg_qr") public func sg_qr(_ q: OutHandle?, _ r: OutHandle?, _ a: Handle?) -> Int32 {
  factors([q, r], a) { let (q, r) = try qr($0); return [q, r] }
}
@_cdecl("sg_slogdet") public func sg_slogdet(_ sign: OutHandle?, _ logAbs: OutHandle?, _ a: Handle?) -> Int32 {
  factors([sign, logAbs], a) { let (s, l) = try slogdet($0); return [s, l] }
}
@_cdecl("sg_pinv") public func sg_pinv(_ o: OutHandle?, _ a: Handle?, _ rcond: Double) -> Int32 {
  produce(o, a) { try pinv($0[0], rcond: rcond) }
}
@_cdecl("sg_lstsq") public func sg_lstsq(_ o: OutHandle?, _ a: Handle?, _ b: Handle?, _ rcond: Double) -> Int32 {
  produce(o, a, b) { try lstsq($0[0], $0[1], rcond: rcond) }
}
@_cdecl("sg_matrix_power") public func sg_matrix_power(_ o: OutHandle?, _ a: Handle?, _ n: Int64) -> Int32 {
  produce(o, a) { try matrixPower($0[0], Int(n)) }
}
