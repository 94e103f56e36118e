// swift-format-ignore-file: AlwaysUseLowerCamelCase
// (the C ABI keeps the snake_case names of include/swiftgrad.h)
import SwiftGrad

// Custom rules and hooks implemented by the client (Python) through callbacks.
//
// A callback gets `n_in` input handles (borrowed; NULL for "zero/none") and fills `n_out`
// output handles (owned by Swift afterwards; NULL for "none"). It returns 0, or non-zero after
// recording its own error (for Python: the exception stays set on the calling thread, and
// status 5 tells the client to re-raise that same exception). `release(context)` runs once
// when the rule is no longer needed.

public typealias CallbackFn = @convention(c) (
  UnsafeMutableRawPointer?, Int32, UnsafePointer<Handle?>?, Int32, UnsafeMutablePointer<Handle?>?
) -> Int32

/// Owns a client context; releases it with the rule.
final class ClientCallback {
  let function: CallbackFn
  let context: UnsafeMutableRawPointer?
  let release: ReleaseFn?
  let label: String

  init(_ function: CallbackFn, _ context: UnsafeMutableRawPointer?, _ release: ReleaseFn?, _ label: String) {
    (self.function, self.context, self.release, self.label) = (function, context, release, label)
  }

  deinit { release?(context) }

  /// Calls the client with `inputs`, returning `outputCount` results.
  func call(_ inputs: [Tensor?], outputCount: Int) throws -> [Tensor?] {
    let handles = inputs.map { $0.map { Unmanaged.passUnretained($0).toOpaque() } }
    var results = [Handle?](repeating: nil, count: outputCount)
    let status = handles.withUnsafeBufferPointer { inBuf in
      results.withUnsafeMutableBufferPointer { outBuf in
        function(context, Int32(inputs.count), inBuf.baseAddress, Int32(outputCount), outBuf.baseAddress)
      }
    }
    let tensors = results.map { $0.map { Unmanaged<Tensor>.fromOpaque($0).takeRetainedValue() } }
    guard status == 0 else {
      throw SGError(status == 5 ? .callback : .runtime, "an exception was raised in the rule of '\(label)'")
    }
    return tensors
  }
}

/// Records `output` as custom function `label` of `inputs`. vjp_fn: 1 input (the cotangent),
/// n outputs (one gradient per input). jvp_fn: 2n inputs (primals then tangents), 1 output.
/// Either may be NULL (derived from the other by transposition); contexts are released with
/// `release` (also on failure).
@_cdecl("sg_custom_function")
public func sg_custom_function(
  _ out: OutHandle?, _ label: UnsafePointer<CChar>?, _ nIn: Int32, _ inputs: UnsafePointer<Handle?>?, _ output: Handle?,
  _ vjpFn: CallbackFn?, _ vjpContext: UnsafeMutableRawPointer?, _ jvpFn: CallbackFn?,
  _ jvpContext: UnsafeMutableRawPointer?, _ release: ReleaseFn?
) -> Int32 {
  sg_custom_function_taylor(out, label, nIn, inputs, output, vjpFn, vjpContext, jvpFn, jvpContext, nil, nil, release)
}

/// `sg_custom_function` with a Taylor rule: taylor_fn gets n + n K inputs (the primals, then
/// each primal's K derivative terms in JAX's scaling, NULL for a constant input) and returns the
/// output's K terms (NULL: zero). NULL taylor_fn: order 1 from the JVP rule only.
@_cdecl("sg_custom_function_taylor")
public func sg_custom_function_taylor(
  _ out: OutHandle?, _ label: UnsafePointer<CChar>?, _ nIn: Int32, _ inputs: UnsafePointer<Handle?>?, _ output: Handle?,
  _ vjpFn: CallbackFn?, _ vjpContext: UnsafeMutableRawPointer?, _ jvpFn: CallbackFn?,
  _ jvpContext: UnsafeMutableRawPointer?, _ taylorFn: CallbackFn?, _ taylorContext: UnsafeMutableRawPointer?,
  _ release: ReleaseFn?
) -> Int32 {
  let name = label.map { String(cString: $0) } ?? "custom"
  let vjpBox = vjpFn.map { ClientCallback($0, vjpContext, release, name) }
  let jvpBox = jvpFn.map { ClientCallback($0, jvpContext, release, name) }
  let taylorBox = taylorFn.map { ClientCallback($0, taylorContext, release, name) }
  if vjpFn == nil { release?(vjpContext) }
  if jvpFn == nil { release?(jvpContext) }
  if taylorFn == nil { release?(taylorContext) }
  return produce(out, output) { t in
    let xs = try handles(inputs, nIn, "inputs")
    let vjp: CustomFunction.VJPRule? = vjpBox.map { box in { g in try box.call([g], outputCount: xs.count) } }
    let jvp: CustomFunction.JVPRule? = jvpBox.map { box in
      { primals, tangents in try box.call(primals.map { $0 } + tangents, outputCount: 1)[0] }
    }
    let taylor: CustomFunction.TaylorRule? = taylorBox.map { box in
      CustomFunction.taylorRule(derivativeTerms: { primals, terms in
        let order = terms.reduce(0) { Swift.max($0, $1?.count ?? 0) }
        var flat: [Tensor?] = primals
        for s in terms { flat += (0..<order).map { k in s.flatMap { k < $0.count ? $0[k] : nil } } }
        let result = try box.call(flat, outputCount: order)
        return try result.map { try $0 ?? zeros(t[0].shape, dtype: t[0].dtype) }
      })
    }
    return try customFunction(name, inputs: xs, output: t[0], vjp: vjp, jvp: jvp, taylor: taylor)
  }
}

/// Registers a gradient hook: 1 input (the gradient), 1 output (a replacement, or NULL to keep it).
@_cdecl("sg_tensor_register_hook")
public func sg_tensor_register_hook(_ t: Handle?, _ fn: CallbackFn?, _ context: UnsafeMutableRawPointer?,
  _ release: ReleaseFn?) -> Int32 {
  guarded {
    guard let t, let fn else {
      release?(context)
      throw SGError.value("null tensor or hook")
    }
    let target = tensor(t)
    guard target.requiresGrad else {
      release?(context)
      throw SGError.runtime("cannot register a hook on a tensor that doesn't require gradient")
    }
    let box = ClientCallback(fn, context, release, "hook")
    target.registerHook { g in try box.call([g], outputCount: 1)[0] }
  }
}
