import SwiftGrad

// 1. The course notes' worked example: y = ln(x1) + x1*x2 - sin(x2) at (2, 5).
do {
  let x1 = try tensor([2.0], shape: [])
  let x2 = try tensor([5.0], shape: [])
  try x1.setRequiresGrad(true)
  try x2.setRequiresGrad(true)
  let y = try sub(add(log(x1), mul(x1, x2)), sin(x2))
  try y.backward()
  print("y =", try y.scalarValue(), " dy/dx1 =", try x1.grad!.scalarValue(), " dy/dx2 =", try x2.grad!.scalarValue())
} catch {
  print("error:", error)
}

// 2. Training a small model from Swift: fit y = tanh(x W1) W2 to a smooth target with SGD.
do {
  Random.seed(0)
  let x = try Random.uniform([64, 1], low: -2, high: 2)
  let target = try sin(x)
  let w1 = try Random.normal([1, 16], std: 1.0)
  let w2 = try Random.normal([16, 1], std: 0.3)
  for p in [w1, w2] { try p.setRequiresGrad(true) }
  var options = Optimizers.SGDOptions(learningRate: 0.1)
  options.momentum = 0.9
  let buffers = try [zeros([1, 16]), zeros([16, 1])]
  var loss = 0.0
  for step in 0..<300 {
    let prediction = try matmul(tanh(matmul(x, w1)), w2)
    let lossTensor = try mean(square(sub(prediction, target)))
    try lossTensor.backward()
    for (i, p) in [w1, w2].enumerated() {
      try Optimizers.sgdStep(parameter: p, gradient: p.grad!, momentumBuffer: buffers[i], firstStep: step == 0,
        options: options)
      p.grad = nil
    }
    loss = try lossTensor.scalarValue()
  }
  print("after 300 SGD steps the mean squared error is", loss)
} catch {
  print("error:", error)
}
