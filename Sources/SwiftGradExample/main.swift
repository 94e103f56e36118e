import SwiftGrad

// The course notes' worked example: y = ln(x1) + x1*x2 - sin(x2) at (2, 5).
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
