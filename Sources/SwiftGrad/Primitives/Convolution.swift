/// Sliding windows for convolution and pooling (im2col, PyTorch's `unfold`), and its transpose.
///
/// Note [Convolution by im2col]: `Im2Col` copies every kh x kw window of an (N, C, H, W) input
/// (stride, dilation; padding is applied before, with `pad`) into the columns of an
/// (N, C*kh*kw, L) tensor, L = Ho*Wo. A convolution is then one batched matmul (BLAS) of the
/// reshaped weights with these columns, a max or average pool a reduction over the window axis.
/// Both window primitives are linear: Im2Col's transpose is `Col2Im` (a scatter-add of the
/// columns back into the image: overlapping windows accumulate) and vice versa, so convolution
/// and pooling inherit VJPs and JVPs, to any order, from matmul, reductions and these two.

public struct WindowGeometry: Equatable, Sendable {
  public let kernel: (Int, Int)
  public let stride: (Int, Int)
  public let dilation: (Int, Int)

  public static func == (a: WindowGeometry, b: WindowGeometry) -> Bool {
    a.kernel == b.kernel && a.stride == b.stride && a.dilation == b.dilation
  }

  /// Calls `body(image, column)` for every element of every window: `image` the flat position
  /// in an (N, C, H, W) image, `column` the flat position in its (N, C*kh*kw, Ho*Wo) columns.
  /// The one loop nest behind Im2Col (a gather) and Col2Im (its scatter-add).
  @inline(__always)
  func forEachPair(imageShape: [Int], _ body: (Int, Int) -> Void) {
    let (n, c, h, w) = (imageShape[0], imageShape[1], imageShape[2], imageShape[3])
    let (ho, wo) = (outputSize(h, 0), outputSize(w, 1))
    var column = 0
    for b in 0..<n {
      for ch in 0..<c {
        let plane = (b * c + ch) * h * w
        for i in 0..<kernel.0 {
          for j in 0..<kernel.1 {
            for oy in 0..<ho {
              let row = plane + (oy * stride.0 + i * dilation.0) * w + j * dilation.1
              for ox in 0..<wo {
                body(row + ox * stride.1, column)
                column += 1
              }
            }
          }
        }
      }
    }
  }

  /// Output size along one axis of `size` (already padded); 0 when the dilated kernel does
  /// not fit, also when its extent overflows (the dilation comes from the user).
  func outputSize(_ size: Int, _ axis: Int) -> Int {
    let (k, s, d) = axis == 0 ? (kernel.0, stride.0, dilation.0) : (kernel.1, stride.1, dilation.1)
    let (extent, overflow) = d.multipliedReportingOverflow(by: k - 1)
    return overflow || size <= extent ? 0 : (size - extent - 1) / s + 1
  }
}

public struct Im2Col: LinearPrimitive {
  public static let name = "im2col"
  public let geometry: WindowGeometry

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = try inputs[0].densified()
    let (n, c) = (x.shape[0], x.shape[1])
    let (kh, kw) = geometry.kernel
    let (ho, wo) = (geometry.outputSize(x.shape[2], 0), geometry.outputSize(x.shape[3], 1))
    let out = try Tensor(uninitializedShape: [n, c * kh * kw, ho * wo], dtype: x.dtype)
    // Typed element copies: a copyMemory call per element (its byte count known only at run
    // time) made the gather several times slower than the matmul it feeds.
    func run<T: FloatElement>(_: T.Type) {
      let (src, dst) = (x.pointer(T.self), out.pointer(T.self))
      geometry.forEachPair(imageShape: x.shape) { image, column in dst[column] = src[image] }
    }
    switch x.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    default:
      let bytes = x.dtype.itemSize
      let (src, dst) = (x.baseAddress, out.baseAddress)
      geometry.forEachPair(imageShape: x.shape) { image, column in
        (dst + column * bytes).copyMemory(from: src + image * bytes, byteCount: bytes)
      }
    }
    return withExtendedLifetime(x) { out }
  }

  public func transpose(_ g: Tensor, input: Tensor) throws -> Tensor {
    try apply(Col2Im(geometry: geometry, imageShape: input.shape), [g])
  }
  /// The batch axis merges with the image batch: [B, N, ...] is an image batch of B * N.
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    let x = try Batching.front(inputs[0], axes[0])
    let columns = try apply(self, [Batching.mergeFront(x)])
    return (try reshape(columns, [x.shape[0], x.shape[1]] + Array(columns.shape.dropFirst())), 0)
  }
}

/// Columns (N, C*kh*kw, L) summed back into an (N, C, H, W) image: the transpose of Im2Col.
public struct Col2Im: LinearPrimitive {
  public static let name = "col2im"
  public let geometry: WindowGeometry
  public let imageShape: [Int]

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let cols = try inputs[0].densified()
    let out = try zerosKernel(imageShape, dtype: cols.dtype)
    func run<T: FloatElement>(_: T.Type) {
      let (src, dst) = (cols.pointer(T.self), out.pointer(T.self))
      geometry.forEachPair(imageShape: imageShape) { image, column in dst[image] += src[column] }
    }
    switch cols.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    default: throw SGError.type("col2im: expected floating-point columns, got \(cols.dtype)")
    }
    return withExtendedLifetime(cols) { out }
  }

  public func transpose(_ g: Tensor, input: Tensor) throws -> Tensor {
    try apply(Im2Col(geometry: geometry), [g])
  }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    let g = try Batching.front(inputs[0], axes[0])
    let merged = Col2Im(geometry: geometry, imageShape: [g.shape[0] * imageShape[0]] + Array(imageShape.dropFirst()))
    return (try reshape(apply(merged, [Batching.mergeFront(g)]), [g.shape[0]] + imageShape), 0)
  }
}

/// The windows of an (N, C, H, W) tensor as (N, C*kh*kw, Ho*Wo) columns (PyTorch's `unfold`,
/// without padding: pad first).
public func im2col(
  _ x: Tensor, kernel: (Int, Int), stride: (Int, Int) = (1, 1), dilation: (Int, Int) = (1, 1)
) throws -> Tensor {
  guard x.ndim == 4 else {
    throw SGError.value("im2col: expected an (N, C, H, W) input, got shape \(describe(x.shape))")
  }
  for (name, pair) in [("kernel", kernel), ("stride", stride), ("dilation", dilation)] where pair.0 < 1 || pair.1 < 1 {
    throw SGError.value("im2col: \(name) must be positive, got (\(pair.0), \(pair.1))")
  }
  let geometry = WindowGeometry(kernel: kernel, stride: stride, dilation: dilation)
  let (ho, wo) = (geometry.outputSize(x.shape[2], 0), geometry.outputSize(x.shape[3], 1))
  guard ho > 0 && wo > 0 else {
    throw SGError.value(
      "im2col: the kernel (\(kernel.0), \(kernel.1)) with dilation (\(dilation.0), \(dilation.1)) is larger than the "
        + "(padded) input of spatial size (\(x.shape[2]), \(x.shape[3]))")
  }
  let source = x.dtype.isInexact ? x : try cast(x, to: .float64)
  return try apply(Im2Col(geometry: geometry), [source])
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let windows: [Operation] = [
    Operation("im2col", "x, kh: int, kw: int, sh: int = 1, sw: int = 1, dh: int = 1, dw: int = 1",
              "Windows of (N, C, H, W) as (N, C*kh*kw, L) columns.", namespace: .hidden) {
      [try im2col($0.tensor(0), kernel: ($0.int(1), $0.int(2)), stride: ($0.int(3), $0.int(4)),
                  dilation: ($0.int(5), $0.int(6)))]
    },
  ]
}
