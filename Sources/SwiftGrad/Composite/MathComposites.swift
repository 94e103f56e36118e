/// Activation-style math built from primitives; derivatives of every order come
/// from erf, tanh and softplus.

/// GELU, x * Phi(x). `approximate` "none" is the exact erf form 0.5 x (1 + erf(x / sqrt 2));
/// "tanh" is 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (PyTorch's names).
public func gelu(_ x: Tensor, approximate: String = "none") throws -> Tensor {
  let xf = try cast(x, to: x.dtype.floatingPoint)
  let phi: Tensor
  switch approximate {
  case "none":
    return try apply(Gelu(), [xf])
  case "tanh":
    let inner = try mul(add(xf, mul(pow(xf, scalar(3)), 0.044715)), 0.7978845608028654)
    phi = try mul(add(tanh(inner), 1), 0.5)
  default:
    throw SGError.value("gelu: approximate must be 'none' or 'tanh', got '\(approximate)'")
  }
  return try mul(xf, phi)
}

/// log(sigmoid(x)) = -softplus(-x): stable for large |x| (no log of an underflowed 0).
public func logSigmoid(_ x: Tensor) throws -> Tensor { try neg(softplus(neg(x))) }

// MARK: Operation table (Note [One op table])
extension Operation {
  static let activations: [Operation] = [
    .unary("log_sigmoid", "Elementwise log(sigmoid(x)) = -softplus(-x), stable.", logSigmoid),
    Operation("gelu", "x, approximate: str = 'none'", "x * Phi(x); approximate='tanh' for the tanh form.") {
      let form = try $0.string(1)
      guard form == "none" || form == "tanh" else {
        throw SGError.value("gelu: approximate must be 'none' or 'tanh', got '\(form)'")
      }
      return [try gelu($0.tensor(0), approximate: form)]
    },
  ]
}
