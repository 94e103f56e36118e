// swift-format-ignore-file: AlwaysUseLowerCamelCase
// (the C ABI keeps the snake_case names of include/swiftgrad.h)
import SwiftGrad

// Forward mode and the helpers the Python transforms are built from (declared in the
// "Forward mode and transforms" block of include/swiftgrad.h).

/// A fresh forward-mode nesting level for this thread (never reused).
@_cdecl("sg_forward_new_level") public func sg_forward_new_level() -> Int64 {
  Int64(ForwardMode.newLevel())
}

@_cdecl("sg_forward_make_dual")
public func sg_forward_make_dual(_ o: OutHandle?, _ primal: Handle?, _ tangent: Handle?, _ level: Int64) -> Int32 {
  produce(o, primal, tangent) { try ForwardMode.makeDual($0[0], tangent: $0[1], level: Int(level)) }
}

/// The tangent at `level`, or zeros of the tensor's shape and dtype when it has none.
@_cdecl("sg_forward_tangent")
public func sg_forward_tangent(_ o: OutHandle?, _ x: Handle?, _ level: Int64) -> Int32 {
  produce(o, x) { try ForwardMode.tangentOrZero(of: $0[0], level: Int(level)) }
}

/// 1 when the tensor carries a tangent at `level`, else 0.
@_cdecl("sg_forward_has_tangent")
public func sg_forward_has_tangent(_ x: Handle?, _ level: Int64) -> Int32 {
  guard let x else { return 0 }
  return ForwardMode.tangent(of: tensor(x), level: Int(level)) == nil ? 0 : 1
}

@_cdecl("sg_forward_strip")
public func sg_forward_strip(_ o: OutHandle?, _ x: Handle?, _ level: Int64) -> Int32 {
  produce(o, x) { try ForwardMode.strip($0[0], level: Int(level)) }
}

/// The tensor a reverse transform differentiates with respect to (see Transforms.reverseInput).
@_cdecl("sg_reverse_input")
public func sg_reverse_input(_ o: OutHandle?, _ x: Handle?) -> Int32 {
  produce(o, x) { try Transforms.reverseInput($0[0]) }
}

/// 1 when the gradients of `outputs` with respect to `inputs` must be recorded, else 0.
@_cdecl("sg_result_needs_graph")
public func sg_result_needs_graph(
  _ nOut: Int32, _ outs: UnsafePointer<Handle?>?, _ nIn: Int32, _ ins: UnsafePointer<Handle?>?,
  _ result: UnsafeMutablePointer<Int32>?
) -> Int32 {
  guarded {
    guard let result else { throw SGError.value("null result pointer") }
    let roots = try handles(outs, nOut, "outputs")
    let inputs = try handles(ins, nIn, "inputs")
    result.pointee = GradMode.isEnabled && Transforms.resultNeedsGraph(roots, inputs: inputs) ? 1 : 0
  }
}
