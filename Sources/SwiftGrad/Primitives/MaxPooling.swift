/// Max pooling of (N, C, H, W) tensors as three primitives.
///
/// Note [Max pooling by argmax]: `MaxPool2dIndices` makes one pass over each contiguous H x W
/// plane and finds every window's maximum and where it is (the flat position in the plane;
/// padding counts as -inf, so it is never picked: the window is clipped to the plane; ties and
/// NaNs as PyTorch, the first maximum, a NaN wins). The value is then `MaxPool2d`, the gather of
/// the input at those positions: linear in the input given the indices, so its VJP is
/// `MaxPool2dBackward` (the scatter-add of the cotangent to the positions, where windows that
/// share a maximum accumulate), whose own VJP is the gather again, and JVPs and Taylor
/// coefficients are the gather of the tangents. Derivatives of any order thereby cost one pass
/// over the windows in total, instead of a window copy (im2col) and a masked reduction per order.
/// Both gather and scatter treat every axis before the last two as a plane index, so vmap just
/// moves the batch axis in front (the planes of all examples are one batch of planes).

public struct MaxPool2dIndices: Primitive {
  public static let name = "max_pool2d_indices"
  public static var isDifferentiable: Bool { false }
  public let geometry: WindowGeometry
  public let padding: (Int, Int)

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = try inputs[0].densified()
    guard x.ndim >= 2 else {
      throw SGError.value("max_pool2d: expected an (N, C, H, W) input, got shape \(describe(x.shape))")
    }
    // `maxPool2d` checks these for users; a primitive applied directly must not trap either
    // (an empty, reversed window range would).
    let (k, s, d) = (geometry.kernel, geometry.stride, geometry.dilation)
    guard k.0 >= 1, k.1 >= 1, s.0 >= 1, s.1 >= 1, d == (1, 1), padding.0 >= 0, padding.1 >= 0,
      padding.0 <= k.0 / 2, padding.1 <= k.1 / 2
    else {
      throw SGError.value(
        "max_pool2d: kernel (\(k.0), \(k.1)) and stride (\(s.0), \(s.1)) must be positive, dilation 1 and padding "
          + "(\(padding.0), \(padding.1)) at most half the kernel")
    }
    let (h, w) = (x.shape[x.ndim - 2], x.shape[x.ndim - 1])
    let (ho, wo) = (geometry.outputSize(h + 2 * padding.0, 0), geometry.outputSize(w + 2 * padding.1, 1))
    let planes = x.shape.dropLast(2).reduce(1, *)
    let out = try Tensor(uninitializedShape: Array(x.shape.dropLast(2)) + [ho, wo], dtype: .int64)
    let (kh, kw) = geometry.kernel
    let (sh, sw) = geometry.stride
    let (ph, pw) = padding
    // Every window's extent clipped to the plane, once per call (the padding is never read).
    let rows = (0..<ho).map { oy in (Swift.max(oy * sh - ph, 0), Swift.min(oy * sh - ph + kh, h)) }
    let columns = (0..<wo).map { ox in (Swift.max(ox * sw - pw, 0), Swift.min(ox * sw - pw + kw, w)) }
    func run<T: FloatElement>(_: T.Type) {
      let (src, dst) = (x.pointer(T.self), out.pointer(Int64.self))
      for p in 0..<planes {
        let plane = src + p * h * w
        var result = dst + p * ho * wo
        for (yStart, yEnd) in rows {
          for (xStart, xEnd) in columns {
            var best = -T.infinity
            var at = yStart &* w &+ xStart
            // Selects rather than branches (random data mispredicts a branch per element), and
            // unchecked index arithmetic: the bounds are the plane's by construction.
            var row = at
            var y = yStart
            while y < yEnd {
              var i = row
              let end = row &+ (xEnd &- xStart)
              while i < end {
                let v = plane[i]
                let take = (v > best) || (v != v)
                best = take ? v : best
                at = take ? i : at
                i &+= 1
              }
              row &+= w
              y &+= 1
            }
            result.pointee = Int64(at)
            result += 1
          }
        }
      }
    }
    switch x.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    default: throw SGError.type("max_pool2d: expected a floating-point input, got \(x.dtype)")
    }
    return withExtendedLifetime(x) { out }
  }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor) throws -> [Tensor?] { [nil] }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? { nil }
  /// The examples' planes are more planes.
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    (try apply(self, [Batching.front(inputs[0], axes[0])]), 0)
  }
}

/// The input (planes..., H, W) gathered at flat in-plane positions (planes..., Ho, Wo): the
/// max-pool value given its indices (input 1, int64).
public struct MaxPool2d: Primitive {
  public static let name = "max_pool2d"
  public func readsInput(_ index: Int, of inputs: [Tensor]) -> Bool { index == 1 }

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let (x, indices) = try planeOperands(inputs[0], inputs[1], op: Self.name, planeOf: 0)
    let size = x.shape[x.ndim - 2] * x.shape[x.ndim - 1]
    let count = indices.shape[indices.ndim - 2] * indices.shape[indices.ndim - 1]
    let out = try Tensor(uninitializedShape: indices.shape, dtype: x.dtype)
    func run<T: FloatElement>(_: T.Type) throws {
      let (src, at, dst) = (x.pointer(T.self), indices.pointer(Int64.self), out.pointer(T.self))
      for p in 0..<(count == 0 ? 0 : indices.count / count) {
        let (plane, base) = (src + p * size, p * count)
        for o in base..<(base + count) {
          let i = Int(at[o])
          guard i >= 0 && i < size else { throw outOfPlane(i, size) }
          dst[o] = plane[i]
        }
      }
    }
    switch x.dtype {
    case .float32: try run(Float.self)
    case .float64: try run(Double.self)
    default: throw SGError.type("max_pool2d: expected a floating-point input, got \(x.dtype)")
    }
    return withExtendedLifetime((x, indices)) { out }
  }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    let shape = inputs[0].shape
    let scatter = MaxPool2dBackward(height: shape[shape.count - 2], width: shape[shape.count - 1])
    return [try apply(scatter, [g, inputs[1]]), nil]
  }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    try tangents[0].map { try apply(self, [$0, inputs[1]]) }
  }
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try linearTaylor(self, inputs, output: y, series: series)  // linear in the input given the indices
  }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    (try apply(self, planeBatch(inputs, axes)), 0)
  }
}

/// The transpose of `MaxPool2d`: zeros of (planes..., height, width) with the cotangent's
/// entries (planes..., Ho, Wo) added at their flat in-plane positions (input 1).
public struct MaxPool2dBackward: Primitive {
  public static let name = "max_pool2d_backward"
  public let height: Int
  public let width: Int
  public func readsInput(_ index: Int, of inputs: [Tensor]) -> Bool { index == 1 }

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let (g, indices) = try planeOperands(inputs[0], inputs[1], op: Self.name, planeOf: nil)
    let (size, count) = (height * width, indices.shape[indices.ndim - 2] * indices.shape[indices.ndim - 1])
    let out = try zerosKernel(Array(g.shape.dropLast(2)) + [height, width], dtype: g.dtype)
    func run<T: FloatElement>(_: T.Type) throws {
      let (src, at, dst) = (g.pointer(T.self), indices.pointer(Int64.self), out.pointer(T.self))
      for p in 0..<(count == 0 ? 0 : indices.count / count) {
        let (plane, base) = (dst + p * size, p * count)
        for o in base..<(base + count) {
          let i = Int(at[o])
          guard i >= 0 && i < size else { throw outOfPlane(i, size) }
          plane[i] += src[o]
        }
      }
    }
    switch g.dtype {
    case .float32: try run(Float.self)
    case .float64: try run(Double.self)
    default: throw SGError.type("max_pool2d_backward: expected a floating-point cotangent, got \(g.dtype)")
    }
    return withExtendedLifetime((g, indices)) { out }
  }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    [try apply(MaxPool2d(), [g, inputs[1]]), nil]
  }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? {
    try tangents[0].map { try apply(self, [$0, inputs[1]]) }
  }
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try linearTaylor(self, inputs, output: y, series: series)  // linear in the cotangent
  }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    (try apply(self, planeBatch(inputs, axes)), 0)
  }
}

/// Dense operands of the gather/scatter: data and int64 indices with the same plane axes (all
/// but the last two); for the scatter (`planeOf` nil) the data has the indices' shape.
private func planeOperands(_ data: Tensor, _ indices: Tensor, op: String, planeOf: Int?) throws -> (Tensor, Tensor) {
  guard indices.dtype == .int64 else { throw SGError.index("\(op): indices must be int64, got \(indices.dtype)") }
  let sameShape = planeOf == nil ? data.shape == indices.shape : data.shape.dropLast(2) == indices.shape.dropLast(2)
  guard data.ndim >= 2, indices.ndim == data.ndim, sameShape else {
    throw SGError.value(
      "\(op): data of shape \(describe(data.shape)) does not match indices of shape \(describe(indices.shape))")
  }
  return (try data.densified(), try indices.densified())
}

private func outOfPlane(_ i: Int, _ size: Int) -> SGError {
  .index("max_pool2d: index \(i) is out of bounds for a plane of \(size) elements")
}

/// Both operands with the batch axis first (an unbatched one broadcast): the examples' planes
/// are one batch of planes.
private func planeBatch(_ inputs: [Tensor], _ axes: [Int?]) throws -> [Tensor] {
  let size = Batching.size(inputs, axes)
  return try zip(inputs, axes).map { try Batching.materialized($0, $1, size: size) }
}

/// The maximum over each kernelSize window of an (N, C, H, W) input, moved by `stride`
/// (default: the kernel size), after padding each spatial axis with `padding` -inf values on
/// both sides (at most half the kernel). The gradient goes to the first maximum of each window
/// (PyTorch's rule). Integer inputs give float64.
public func maxPool2d(
  _ input: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)
) throws -> Tensor {
  let op = "max_pool2d"
  guard input.ndim == 4 else {
    throw SGError.value("\(op): expected an (N, C, H, W) input, got shape \(describe(input.shape))")
  }
  try checkPositive(kernelSize, "kernel_size", op)
  let stride = stride ?? kernelSize
  try checkPositive(stride, "stride", op)
  // At most half a kernel of padding: every window then holds at least one input element.
  guard padding.0 >= 0, padding.1 >= 0, padding.0 <= kernelSize.0 / 2, padding.1 <= kernelSize.1 / 2 else {
    throw SGError.value(
      "\(op): padding (\(padding.0), \(padding.1)) must be non-negative and at most half the kernel "
        + "(\(kernelSize.0), \(kernelSize.1))")
  }
  let geometry = WindowGeometry(kernel: kernelSize, stride: stride, dilation: (1, 1))
  let (h, w) = (input.shape[2] + 2 * padding.0, input.shape[3] + 2 * padding.1)
  guard geometry.outputSize(h, 0) > 0, geometry.outputSize(w, 1) > 0 else {
    throw SGError.value(
      "\(op): the kernel (\(kernelSize.0), \(kernelSize.1)) is larger than the padded input of spatial size "
        + "(\(h), \(w))")
  }
  // Integer and bool inputs are pooled in float64, as convolution does.
  let source = input.dtype.isInexact ? input : try cast(input, to: .float64)
  let indices = try apply(MaxPool2dIndices(geometry: geometry, padding: padding), [source])
  return try apply(MaxPool2d(), [source, indices])
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let maxPooling: [Operation] = [
    Operation("max_pool2d", "input, kernel_size: ints, stride: ints? = None, padding: ints = 0",
              "Maximum over each window (padding with -inf); the gradient goes to the first maximum.",
              namespace: .functional) {
      [try maxPool2d($0.tensor(0), kernelSize: $0.pair(1), stride: $0.optionalPair(2), padding: $0.pair(3))]
    },
  ]
}
