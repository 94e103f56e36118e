// swift-format-ignore-file: AlwaysUseLowerCamelCase
// (the C ABI keeps the snake_case names of include/swiftgrad.h)
import SwiftGrad

// The C ABI. Every entry point returns 0 or an error kind (1 value, 2 type, 3 index,
// 4 runtime, 5 callback); the message is read with sg_last_error(). Documented in
// include/swiftgrad.h, which is the single source of truth for the boundary.

// MARK: Errors and handles

@_cdecl("sg_last_error") public func sg_last_error() -> UnsafePointer<CChar>? { LastError.message }
@_cdecl("sg_last_error_kind") public func sg_last_error_kind() -> Int32 { LastError.kind }
@_cdecl("sg_set_error") public func sg_set_error(_ kind: Int32, _ message: UnsafePointer<CChar>?) {
  LastError.set(kind: kind, message: message.map { String(cString: $0) } ?? "")
}

@_cdecl("sg_tensor_free") public func sg_tensor_free(_ h: Handle?) {
  if let h { Unmanaged<Tensor>.fromOpaque(h).release() }
}

@_cdecl("sg_tensor_retain") public func sg_tensor_retain(_ h: Handle) -> Handle {
  _ = Unmanaged<Tensor>.fromOpaque(h).retain()
  return h
}

// MARK: Creating tensors

public typealias ReleaseFn = @convention(c) (UnsafeMutableRawPointer?) -> Void

/// Zero-copy wrap of external memory. `strides` are in elements; `release(context)` runs when
/// the last view of the memory is gone (from whichever thread drops it).
@_cdecl("sg_tensor_wrap")
public func sg_tensor_wrap(
  _ out: OutHandle?, _ data: UnsafeMutableRawPointer?, _ byteCount: Int64, _ dtypeCode: Int32,
  _ ndim: Int32, _ shape: UnsafePointer<Int64>?, _ strides: UnsafePointer<Int64>?, _ offset: Int64,
  _ context: UnsafeMutableRawPointer?, _ release: ReleaseFn?
) -> Int32 {
  produce(out) { _ in
    guard let data else { throw SGError.value("null data pointer") }
    let d = try dtype(dtypeCode)
    let storage = Storage.borrowing(data, byteCount: Int(byteCount)) { release?(context) }
    do {
      return try Tensor(validating: storage, shape: intArray(shape, ndim, "shape"),
        strides: intArray(strides, ndim, "strides"), offset: Int(offset), dtype: d)
    } catch {
      storage.forgetRelease()  // on failure the caller keeps its buffer (and releases it once)
      throw error
    }
  }
}

@_cdecl("sg_random_seed") public func sg_random_seed(_ seed: UInt64) { Random.seed(seed) }
@_cdecl("sg_random_get_state") public func sg_random_get_state(_ out: UnsafeMutablePointer<UInt64>) {
  for (i, word) in Random.currentState.enumerated() { out[i] = word }
}
/// Fails (value error) for the all-zero state, which xoshiro256** never leaves.
@_cdecl("sg_random_set_state") public func sg_random_set_state(_ words: UnsafePointer<UInt64>) -> Int32 {
  guarded { try Random.setState((0..<4).map { words[$0] }) }
}
// MARK: Inspecting tensors

@_cdecl("sg_tensor_ndim") public func sg_tensor_ndim(_ h: Handle) -> Int32 { Int32(tensor(h).ndim) }
@_cdecl("sg_tensor_dtype") public func sg_tensor_dtype(_ h: Handle) -> Int32 { tensor(h).dtype.rawValue }
@_cdecl("sg_tensor_size") public func sg_tensor_size(_ h: Handle) -> Int64 { Int64(tensor(h).count) }
@_cdecl("sg_tensor_data") public func sg_tensor_data(_ h: Handle) -> UnsafeMutableRawPointer { tensor(h).baseAddress }
@_cdecl("sg_tensor_shape") public func sg_tensor_shape(_ h: Handle, _ out: UnsafeMutablePointer<Int64>) {
  for (i, d) in tensor(h).shape.enumerated() { out[i] = Int64(d) }
}
@_cdecl("sg_tensor_strides") public func sg_tensor_strides(_ h: Handle, _ out: UnsafeMutablePointer<Int64>) {
  for (i, s) in tensor(h).strides.enumerated() { out[i] = Int64(s) }
}
@_cdecl("sg_tensor_same_storage") public func sg_tensor_same_storage(_ a: Handle, _ b: Handle) -> Int32 {
  tensor(a).storage === tensor(b).storage ? 1 : 0
}
@_cdecl("sg_tensor_version") public func sg_tensor_version(_ h: Handle) -> Int64 { Int64(tensor(h).storage.version) }
@_cdecl("sg_tensor_set_weak") public func sg_tensor_set_weak(_ h: Handle) { tensor(h).markWeaklyTyped() }
@_cdecl("sg_tensor_set_readonly") public func sg_tensor_set_readonly(_ h: Handle) {
  tensor(h).storage.isReadOnly = true
}
@_cdecl("sg_tensor_is_readonly") public func sg_tensor_is_readonly(_ h: Handle) -> Int32 {
  tensor(h).storage.isReadOnly ? 1 : 0
}

// MARK: Autograd state

@_cdecl("sg_tensor_requires_grad") public func sg_tensor_requires_grad(_ h: Handle) -> Int32 {
  tensor(h).requiresGrad ? 1 : 0
}
@_cdecl("sg_tensor_set_requires_grad") public func sg_tensor_set_requires_grad(_ h: Handle, _ flag: Int32) -> Int32 {
  guarded { try tensor(h).setRequiresGrad(flag != 0) }
}
@_cdecl("sg_tensor_is_leaf") public func sg_tensor_is_leaf(_ h: Handle) -> Int32 { tensor(h).isLeaf ? 1 : 0 }
/// Writes the producing primitive's name (empty for leaves) into `buffer`.
@_cdecl("sg_tensor_grad_fn_name") public func sg_tensor_grad_fn_name(_ h: Handle,
  _ buffer: UnsafeMutablePointer<CChar>, _ capacity: Int32) {
  let name = Array((tensor(h).gradFnName ?? "").utf8CString.prefix(Int(capacity) - 1)) + [0]
  buffer.update(from: name, count: name.count)
}
/// `*out` is NULL when the tensor has no gradient.
@_cdecl("sg_tensor_grad") public func sg_tensor_grad(_ h: Handle, _ out: OutHandle) {
  out.pointee = tensor(h).grad.map(retained)
}
@_cdecl("sg_tensor_set_grad") public func sg_tensor_set_grad(_ h: Handle, _ g: Handle?) -> Int32 {
  guarded {
    let t = tensor(h)
    if let g {
      let grad = tensor(g)
      guard grad.shape == t.shape else {
        throw SGError.value("assigned grad has shape \(grad.shape) but the tensor has shape \(t.shape)")
      }
      t.grad = grad
    } else {
      t.grad = nil
    }
  }
}
@_cdecl("sg_tensor_retain_grad") public func sg_tensor_retain_grad(_ h: Handle) { tensor(h).retainGrad() }

@_cdecl("sg_grad_enabled") public func sg_grad_enabled() -> Int32 { GradMode.isEnabled ? 1 : 0 }
/// Sets grad mode for this thread and returns the previous mode.
@_cdecl("sg_set_grad_enabled") public func sg_set_grad_enabled(_ flag: Int32) -> Int32 {
  let previous = GradMode.isEnabled
  GradMode.isEnabled = flag != 0
  return previous ? 1 : 0
}

@_cdecl("sg_backward")
public func sg_backward(_ h: Handle?, _ gradient: Handle?, _ retainGraph: Int32, _ createGraph: Int32) -> Int32 {
  guarded {
    guard let h else { throw SGError.value("null tensor handle") }
    try tensor(h).backward(gradient: gradient.map(tensor), retainGraph: retainGraph != 0, createGraph: createGraph != 0)
  }
}

/// `results[i]` is NULL for an unused input when allow_unused. retain_graph < 0 means "default".
@_cdecl("sg_autograd_grad")
public func sg_autograd_grad(
  _ nOut: Int32, _ outs: UnsafePointer<Handle?>?, _ gradOuts: UnsafePointer<Handle?>?, _ nIn: Int32,
  _ ins: UnsafePointer<Handle?>?, _ retainGraph: Int32, _ createGraph: Int32, _ allowUnused: Int32,
  _ results: UnsafeMutablePointer<Handle?>?
) -> Int32 {
  guarded {
    guard let results else { throw SGError.value("null results pointer") }
    let roots = try handles(outs, nOut, "outputs")
    let seeds: [Tensor?] = (0..<Int(nOut)).map { i in gradOuts?[i].map(tensor) }
    let grads = try Backward.gradients(
      of: roots, withRespectTo: handles(ins, nIn, "inputs"), rootGradients: seeds,
      retainGraph: retainGraph < 0 ? nil : retainGraph != 0, createGraph: createGraph != 0,
      allowUnused: allowUnused != 0)
    for (i, g) in grads.enumerated() { results[i] = g.map(retained) }
  }
}

@_cdecl("sg_detach") public func sg_detach(_ out: OutHandle?,
  _ a: Handle?) -> Int32 { produce(out, a) { $0[0].detach() } }

// MARK: Anomaly detection
@_cdecl("sg_set_anomaly_enabled") public func sg_set_anomaly_enabled(_ flag: Int32) -> Int32 {
  let previous = AnomalyMode.isEnabled
  AnomalyMode.isEnabled = flag != 0
  return previous ? 1 : 0
}
@_cdecl("sg_tensor_set_origin") public func sg_tensor_set_origin(_ h: Handle, _ origin: UnsafePointer<CChar>) {
  tensor(h).setOrigin(String(cString: origin))
}
