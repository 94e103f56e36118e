// swift-format-ignore-file: AlwaysUseLowerCamelCase
// (the C ABI keeps the snake_case names of include/swiftgrad.h)
import SwiftGrad

// C ABI of row-sparse gradients (Note [Row-sparse gradients]) and the optimizer steps that
// consume them (the embedding that makes them is an operation of the table). Declared at the end
// of include/swiftgrad.h.

@_cdecl("sg_tensor_is_sparse") public func sg_tensor_is_sparse(_ h: Handle) -> Int32 { tensor(h).isSparse ? 1 : 0 }

@_cdecl("sg_sparse_indices")
public func sg_sparse_indices(_ out: OutHandle?, _ t: Handle?) -> Int32 {
  produce(out, t) { try rows(of: $0[0], "indices()").indices }
}

@_cdecl("sg_sparse_values")
public func sg_sparse_values(_ out: OutHandle?, _ t: Handle?) -> Int32 {
  produce(out, t) { try rows(of: $0[0], "values()").values }
}

@_cdecl("sg_sparse_to_dense")
public func sg_sparse_to_dense(_ out: OutHandle?, _ t: Handle?) -> Int32 {
  produce(out, t) { try $0[0].sparseRows?.dense() ?? $0[0] }
}

@_cdecl("sg_sparse_coalesce")
public func sg_sparse_coalesce(_ out: OutHandle?, _ t: Handle?) -> Int32 {
  produce(out, t) { inputs in try withoutGrad { try inputs[0].coalesced() } }
}

@_cdecl("sg_sparse_is_coalesced")
public func sg_sparse_is_coalesced(_ t: Handle) -> Int32 { tensor(t).sparseRows?.isCoalesced ?? false ? 1 : 0 }

/// A row-sparse tensor with `rowCount` rows from int64 row `indices` and their `values`.
@_cdecl("sg_sparse_rows")
public func sg_sparse_rows(_ out: OutHandle?, _ indices: Handle?, _ values: Handle?, _ rowCount: Int64) -> Int32 {
  produce(out, indices, values) { try Tensor.rowSparse(indices: $0[0], values: $0[1], rowCount: Int(rowCount)) }
}

/// SGD with a row-sparse gradient; `*newBuffer` receives the momentum buffer to keep (NULL
/// without momentum).
@_cdecl("sg_optim_sgd_sparse_step")
public func sg_optim_sgd_sparse_step(
  _ newBuffer: OutHandle?, _ param: Handle?, _ grad: Handle?, _ momentumBuffer: Handle?, _ lr: Double,
  _ momentum: Double, _ dampening: Double, _ weightDecay: Double, _ nesterov: Int32, _ maximize: Int32
) -> Int32 {
  guarded {
    guard let newBuffer, let param, let grad else {
      throw SGError.value("sgd_sparse_step: null output, parameter or gradient handle")
    }
    var o = Optimizers.SGDOptions(learningRate: lr)
    o.momentum = momentum
    o.dampening = dampening
    o.weightDecay = weightDecay
    o.nesterov = nesterov != 0
    o.maximize = maximize != 0
    let buffer = try Optimizers.sgdRowSparseStep(
      parameter: tensor(param), gradient: tensor(grad), momentumBuffer: momentumBuffer.map(tensor), options: o)
    newBuffer.pointee = buffer.map { Unmanaged.passRetained($0).toOpaque() }
  }
}

@_cdecl("sg_optim_adagrad_step")
public func sg_optim_adagrad_step(
  _ param: Handle?, _ grad: Handle?, _ stateSum: Handle?, _ step: Int64, _ lr: Double, _ lrDecay: Double,
  _ weightDecay: Double, _ eps: Double, _ maximize: Int32
) -> Int32 {
  guarded {
    guard let param, let grad, let stateSum else { throw SGError.value("adagrad_step: null handle") }
    var o = Optimizers.AdagradOptions(learningRate: lr)
    o.learningRateDecay = lrDecay
    o.weightDecay = weightDecay
    o.eps = eps
    o.maximize = maximize != 0
    try Optimizers.adagradStep(
      parameter: tensor(param), gradient: tensor(grad), stateSum: tensor(stateSum), step: Int(step), options: o)
  }
}

@_cdecl("sg_optim_sparse_adam_step")
public func sg_optim_sparse_adam_step(
  _ param: Handle?, _ grad: Handle?, _ expAvg: Handle?, _ expAvgSq: Handle?, _ step: Int64, _ lr: Double,
  _ beta1: Double, _ beta2: Double, _ eps: Double, _ maximize: Int32
) -> Int32 {
  guarded {
    guard let param, let grad, let expAvg, let expAvgSq else { throw SGError.value("sparse_adam_step: null handle") }
    try Optimizers.sparseAdamStep(
      parameter: tensor(param), gradient: tensor(grad), expAvg: tensor(expAvg), expAvgSq: tensor(expAvgSq),
      step: Int(step), learningRate: lr, beta1: beta1, beta2: beta2, eps: eps, maximize: maximize != 0)
  }
}

private func rows(of t: Tensor, _ what: String) throws -> SparseRows {
  guard let rows = t.sparseRows else {
    throw SGError.runtime("\(what): the tensor of shape \(t.shape) is not a row-sparse gradient")
  }
  return rows
}
