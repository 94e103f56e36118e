// swift-format-ignore-file: AlwaysUseLowerCamelCase
// (the C ABI keeps the snake_case names of include/swiftgrad.h)
import SwiftGrad

// C ABI of the optimizer kernels and the in-place writes nn/optim need (declared in the
// "nn / optim / graph" block at the end of include/swiftgrad.h). They update storage in place,
// bump version counters and record nothing.

@_cdecl("sg_optim_sgd_step")
public func sg_optim_sgd_step(
  _ param: Handle?, _ grad: Handle?, _ momentumBuffer: Handle?, _ lr: Double, _ momentum: Double,
  _ dampening: Double, _ weightDecay: Double, _ nesterov: Int32, _ maximize: Int32, _ firstStep: Int32
) -> Int32 {
  guarded {
    guard let param, let grad else { throw SGError.value("sgd_step: null parameter or gradient handle") }
    var o = Optimizers.SGDOptions(learningRate: lr)
    o.momentum = momentum
    o.dampening = dampening
    o.weightDecay = weightDecay
    o.nesterov = nesterov != 0
    o.maximize = maximize != 0
    try Optimizers.sgdStep(
      parameter: tensor(param), gradient: tensor(grad), momentumBuffer: momentumBuffer.map(tensor),
      firstStep: firstStep != 0, options: o)
  }
}

@_cdecl("sg_optim_adam_step")
public func sg_optim_adam_step(
  _ param: Handle?, _ grad: Handle?, _ expAvg: Handle?, _ expAvgSq: Handle?, _ maxExpAvgSq: Handle?,
  _ step: Int64, _ lr: Double, _ beta1: Double, _ beta2: Double, _ eps: Double, _ weightDecay: Double,
  _ decoupled: Int32, _ maximize: Int32
) -> Int32 {
  guarded {
    guard let param, let grad, let expAvg, let expAvgSq else {
      throw SGError.value("adam_step: null parameter, gradient or state handle")
    }
    var o = Optimizers.AdamOptions(learningRate: lr)
    o.beta1 = beta1
    o.beta2 = beta2
    o.eps = eps
    o.weightDecay = weightDecay
    o.decoupledWeightDecay = decoupled != 0
    o.maximize = maximize != 0
    try Optimizers.adamStep(
      parameter: tensor(param), gradient: tensor(grad), expAvg: tensor(expAvg), expAvgSq: tensor(expAvgSq),
      maxExpAvgSq: maxExpAvgSq.map(tensor), step: Int(step), options: o)
  }
}

@_cdecl("sg_inplace_fill")
public func sg_inplace_fill(_ t: Handle?, _ value: Double) -> Int32 {
  guarded {
    guard let t else { throw SGError.value("fill_: null tensor handle") }
    try DirectWrite.fill(tensor(t), value)
  }
}

@_cdecl("sg_inplace_copy")
public func sg_inplace_copy(_ dst: Handle?, _ src: Handle?) -> Int32 {
  guarded {
    guard let dst, let src else { throw SGError.value("copy_: null tensor handle") }
    try DirectWrite.copy(tensor(dst), from: tensor(src))
  }
}

// Mixed precision (Note [Autocast], Optim/GradScaling.swift).

@_cdecl("sg_autocast_set")
public func sg_autocast_set(_ code: Int32, _ previous: UnsafeMutablePointer<Int32>?) -> Int32 {
  guarded {
    guard let previous else { throw SGError.value("autocast_set: null output") }
    let d: DType? = code < 0 ? nil : try dtype(code)
    previous.pointee = try Autocast.set(d)?.rawValue ?? -1
  }
}

@_cdecl("sg_amp_unscale")
public func sg_amp_unscale(
  _ grads: UnsafePointer<Handle?>?, _ n: Int32, _ inverseScale: Double, _ foundInf: UnsafeMutablePointer<Int32>?
) -> Int32 {
  guarded {
    guard let foundInf else { throw SGError.value("amp_unscale: null output") }
    let tensors = try handles(grads, n, "gradients")
    foundInf.pointee = try GradScaling.unscale(tensors, inverseScale: inverseScale) ? 1 : 0
  }
}
