import SwiftGrad
import XCTest

/// Compiles and runs the examples of docs/SWIFT_GUIDE.md through the public API only (no
/// @testable). The lines between each pair of GUIDE markers are the guide's code block of that
/// name verbatim; Tests/python/test_docs.py checks that they stay identical.
final class SwiftGuideTests: XCTestCase {
  func testGuideMainExample() throws {
    // BEGIN GUIDE EXAMPLE main
    // 1. Tensors, ops and backward: the course notes' example y = ln(x1) + x1 x2 - sin(x2).
    let x1 = try tensor([2.0], shape: [])
    let x2 = try tensor([5.0], shape: [])
    try x1.setRequiresGrad(true)
    try x2.setRequiresGrad(true)
    let y = try sub(add(log(x1), mul(x1, x2)), sin(x2))
    try y.backward()
    let dydx1 = try x1.grad!.scalarValue()  // 1/x1 + x2 = 5.5
    let dydx2 = try x2.grad!.scalarValue()  // x1 - cos(x2) = 1.7163...

    // 2. Transforms: functions in, functions out.
    let cube: (Tensor) throws -> Tensor = { x in try sum(pow(x, scalar(3))) }
    let v = try tensor([1, 2, 3], shape: [3])
    let g = try gradient(of: cube)(v)                          // 3 v^2
    let h = try hessian(of: cube)(v)                           // diag(6 v), shape [3, 3]
    let (_, hv) = try hvp(cube, at: v, tangent: try ones([3]))  // H 1 = 6 v, without forming H
    let a = try tensor([1, 2, 3, 4, 5, 6], shape: [3, 2])
    let jac = try jacobian({ try matmul(a, $0) })(try ones([2]))  // = A, by forward mode
    let (_, dy) = try jvp({ try sub(add(log($0[0]), mul($0[0], $0[1])), sin($0[1])) },
                          at: [try tensor([2.0], shape: []), try tensor([5.0], shape: [])],
                          tangents: [try tensor([1.0], shape: []), try tensor([0.0], shape: [])])  // 5.5

    // 3. Training with Adam: fit sin(x) with a one-hidden-layer network.
    Random.seed(0)
    let inputs = try Random.uniform([64, 1], low: -2, high: 2)
    let targets = try sin(inputs)
    let w1 = try Random.normal([1, 16], std: 1.0)
    let w2 = try Random.normal([16, 1], std: 0.3)
    let parameters = [w1, w2]
    for p in parameters { try p.setRequiresGrad(true) }
    let options = Optimizers.AdamOptions(learningRate: 0.05)
    let moments = try parameters.map { (try zeros($0.shape), try zeros($0.shape)) }
    var firstLoss = 0.0, lastLoss = 0.0
    for step in 1...300 {
      let prediction = try matmul(tanh(matmul(inputs, w1)), w2)
      let loss = try mean(square(sub(prediction, targets)))
      try loss.backward()
      for (p, (m, s)) in zip(parameters, moments) {
        try Optimizers.adamStep(parameter: p, gradient: p.grad!, expAvg: m, expAvgSq: s, maxExpAvgSq: nil,
                                step: step, options: options)
        p.grad = nil
      }
      if step == 1 { firstLoss = try loss.scalarValue() }
      lastLoss = try loss.scalarValue()
    }
    print("dy/dx1 =", dydx1, "dy/dx2 =", dydx2, "loss", firstLoss, "->", lastLoss)
    // END GUIDE EXAMPLE main
    XCTAssertEqual(dydx1, 5.5, accuracy: 1e-12)
    XCTAssertEqual(dydx2, 2 - Glibc.cos(5.0), accuracy: 1e-12)
    XCTAssertEqual(try g.toArray(), [3, 12, 27])
    XCTAssertEqual(h.shape, [3, 3])
    XCTAssertEqual(try h.toArray(), [6, 0, 0, 0, 12, 0, 0, 0, 18])
    XCTAssertEqual(try hv.toArray(), [6, 12, 18])
    XCTAssertEqual(jac.shape, [3, 2])
    XCTAssertEqual(try jac.toArray(), [1, 2, 3, 4, 5, 6])
    XCTAssertEqual(try dy.scalarValue(), 5.5, accuracy: 1e-12)
    XCTAssertLessThan(lastLoss, 0.1 * firstLoss)
  }

  func testGuideNesting() throws {
    // BEGIN GUIDE EXAMPLE nesting
    let quartic: (Tensor) throws -> Tensor = { x in try pow(x, scalar(4)) }
    let two = try tensor([2.0], shape: [])
    let fourth = try gradient(of: gradient(of: gradient(of: gradient(of: quartic))))(two)  // 24
    let ddx: (@escaping (Tensor) throws -> Tensor) -> (Tensor) throws -> Tensor = { h in
      { x in try jvp({ try h($0[0]) }, at: [x], tangents: [try ones([])]).tangent }
    }
    let mixed = try ddx(gradient(of: ddx(gradient(of: quartic))))(two)  // 24 again
    // END GUIDE EXAMPLE nesting
    XCTAssertEqual(try fourth.scalarValue(), 24)
    XCTAssertEqual(try mixed.scalarValue(), 24)
  }

  func testGuideVmap() throws {
    // BEGIN GUIDE EXAMPLE vmap
    let w = try Random.normal([3, 2])
    let xs = try Random.normal([8, 3])  // 8 examples
    let loss: ([Tensor]) throws -> Tensor = { a in try sum(square(tanh(matmul(a[1], a[0])))) }
    let perExample = gradient(of: loss, argumentNumbers: [0])  // [w, x] -> [dloss/dw]
    // One batched pass: w is shared (nil), xs is mapped over axis 0.
    let grads = try vmap(perExample, inAxes: [nil, 0])([w, xs])[0]  // shape [8, 3, 2]
    // END GUIDE EXAMPLE vmap
    XCTAssertEqual(grads.shape, [8, 3, 2])
    let first = try perExample([w, index(xs, [IndexItem.index(0)])])[0]
    for (a, b) in zip(try index(grads, [IndexItem.index(0)]).toArray(), try first.toArray()) {
      XCTAssertEqual(a, b, accuracy: 1e-12)
    }
  }

  func testGuideGraphMode() throws {
    // BEGIN GUIDE EXAMPLE graph
    // Record a loss and its gradient once (placeholders are the graph's inputs)...
    let recorder = ProgramRecorder()
    let w = recorder.addInput(try zeros([3]))
    let x = recorder.addInput(try zeros([4, 3]))
    let (loss, dw) = try recorder.record { () throws -> (Tensor, Tensor) in
      try w.setRequiresGrad(true)
      let loss = try sum(square(tanh(matmul(x, w))))
      let dw = try Backward.gradients(of: [loss], withRespectTo: [w], createGraph: true)[0] ?? zeros([3])
      return (loss, dw)
    }
    // ...optimise it for the fetched values, then run it with new inputs in one call each.
    let step = try CompiledProgram(recorder.graph, outputs: [try recorder.value(of: loss), try recorder.value(of: dw)])
    var weights = try tensor([0.5, -0.2, 0.1])
    let data = try tensor((0..<12).map { Double($0) / 10 }, shape: [4, 3])
    for _ in 0..<20 {
      let results = try step.run([weights, data])
      weights = try sub(weights, mul(results[1], 0.05))
    }
    // END GUIDE EXAMPLE graph
    let eager = try sum(square(tanh(matmul(data, weights))))
    let replayed = try step.run([weights, data])[0]
    XCTAssertEqual(try replayed.scalarValue(), try eager.scalarValue(), accuracy: 1e-12)
    XCTAssertTrue(step.passReport.contains { $0.pass == "elementwise fusion" })
  }

  func testGuideConvolutionalNetwork() throws {
    // BEGIN GUIDE EXAMPLE convnet
    // Synthetic data: 6x6 images holding a vertical (class 0) or a horizontal (class 1) bar, plus noise.
    Random.seed(1)
    var pixels = [Double](), classes = [Double]()
    for sample in 0..<32 {
      let (label, line) = (sample % 2, (sample / 2) % 6)
      for row in 0..<6 {
        for column in 0..<6 { pixels.append((label == 0 ? column : row) == line ? 1 : 0) }
      }
      classes.append(Double(label))
    }
    let images = try add(tensor(pixels, shape: [32, 1, 6, 6]), Random.normal([32, 1, 6, 6], std: 0.1))
    let labels = try tensor(classes, dtype: .int64)
    // conv2d -> relu -> max pool -> linear -> cross-entropy, trained with plain SGD.
    let kernels = try Random.normal([4, 1, 3, 3], std: 0.5)
    let kernelBias = try zeros([4])
    let dense = try Random.normal([36, 2], std: 0.2)
    let denseBias = try zeros([2])
    let parameters = [kernels, kernelBias, dense, denseBias]
    for p in parameters { try p.setRequiresGrad(true) }
    let sgd = Optimizers.SGDOptions(learningRate: 0.3)
    var losses = [Double]()
    var logits = try zeros([32, 2])
    for _ in 0..<100 {
      let features = try maxPool2d(relu(conv2d(images, kernels, bias: kernelBias, padding: .same)), kernelSize: (2, 2))
      logits = try add(matmul(reshape(features, [32, 36]), dense), denseBias)
      let loss = try crossEntropy(logits, labels)
      try loss.backward()
      for p in parameters {
        try Optimizers.sgdStep(parameter: p, gradient: p.grad!, momentumBuffer: nil, firstStep: false, options: sgd)
        p.grad = nil
      }
      losses.append(try loss.scalarValue())
    }
    let accuracy = try mean(cast(equal(argmax(logits, axis: 1), labels), to: .float64)).scalarValue()
    print("cross-entropy", losses.first!, "->", losses.last!, "training accuracy", accuracy)
    // END GUIDE EXAMPLE convnet
    XCTAssertLessThan(losses.last!, 0.1 * losses.first!)
    XCTAssertEqual(accuracy, 1)
  }
}
