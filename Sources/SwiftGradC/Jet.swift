// swift-format-ignore-file: AlwaysUseLowerCamelCase
// (the C ABI keeps the snake_case names of include/swiftgrad.h)
import SwiftGrad

// Taylor mode (declared in the "Taylor mode" block of include/swiftgrad.h). A jet level is a
// forward-mode level (sg_forward_new_level); sg_forward_strip removes its series too.

/// `primal` carrying the curve whose derivative terms (JAX's scaling) are `terms[0..<n]` at `level`;
/// `collapse` != 0: Note [Collapsed Taylor mode].
@_cdecl("sg_jet_enter")
public func sg_jet_enter(
  _ o: OutHandle?, _ primal: Handle?, _ n: Int32, _ terms: UnsafePointer<Handle?>?, _ level: Int64,
  _ collapse: Int32
) -> Int32 {
  guarded {
    guard let o else { throw SGError.value("null output pointer") }
    guard let primal else { throw SGError.value("null primal handle") }
    let series = try handles(terms, n, "series terms")
    o.pointee = retained(try Jet.enter(tensor(primal), terms: series, level: Int(level), collapse: collapse != 0))
  }
}

/// The k-th derivative term (JAX's scaling, k >= 1) of `x` at `level`: zeros when it has none.
@_cdecl("sg_jet_term")
public func sg_jet_term(_ o: OutHandle?, _ x: Handle?, _ k: Int64, _ level: Int64) -> Int32 {
  produce(o, x) { try Jet.term(of: $0[0], Int(k), level: Int(level)) }
}
