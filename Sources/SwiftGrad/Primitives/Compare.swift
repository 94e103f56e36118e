/// Comparisons, logical ops and `where`. Comparisons give bool and carry no derivative.
public struct Compare: Primitive {
  public enum Op: Int32, Sendable { case equal, notEqual, less, lessEqual, greater, greaterEqual }
  public static let name = "compare"
  public static var isDifferentiable: Bool { false }
  public let op: Op

  @inline(__always)
  static func test<T: Comparable>(_ op: Op, _ a: T, _ b: T) -> Bool {
    switch op {
    case .equal: return a == b
    case .notEqual: return a != b
    case .less: return a < b
    case .lessEqual: return a <= b
    case .greater: return a > b
    case .greaterEqual: return a >= b
    }
  }

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let (a, b) = (inputs[0], inputs[1])
    let shape = try broadcastShapes(a.shape, b.shape)
    let dtype = resultType(a, b)
    let ac = try a.converted(to: dtype)
    let bc = try b.converted(to: dtype)
    let op = self.op
    switch dtype {
    case .bool:
      return try mapElements(ac, bc, shape: shape, to: .bool) { (x: Bool, y: Bool) in
        Compare.test(op, x ? 1 : 0, y ? 1 : 0)
      }
    case .int64:
      return try mapElements(ac, bc, shape: shape, to: .bool) { (x: Int64, y: Int64) in Compare.test(op, x, y) }
    case .float32:
      return try mapElements(ac, bc, shape: shape, to: .bool) { (x: Float, y: Float) in Compare.test(op, x, y) }
    case .float64:
      return try mapElements(ac, bc, shape: shape, to: .bool) { (x: Double, y: Double) in Compare.test(op, x, y) }
    default: throw storageOnly(dtype)
    }
  }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor) throws -> [Tensor?] { [nil, nil] }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? { nil }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try broadcastingBatch(self, inputs, axes)
  }
}

public struct LogicalAnd: Primitive {
  public static let name = "logical_and"
  public static var isDifferentiable: Bool { false }
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let a = try inputs[0].converted(to: .bool)
    let b = try inputs[1].converted(to: .bool)
    let shape = try broadcastShapes(a.shape, b.shape)
    return try mapElements(a, b, shape: shape, to: .bool) { (x: Bool, y: Bool) in x && y }
  }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor) throws -> [Tensor?] { [nil, nil] }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? { nil }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try broadcastingBatch(self, inputs, axes)
  }
}

/// `where(condition, a, b)`: linear in a and b for a fixed condition.
public struct Where: Primitive {
  public static let name = "where"
  public func taylor(_ inputs: [Tensor], output y: Tensor, series: [[Tensor]?]) throws -> [Tensor] {
    try linearTaylor(self, inputs, output: y, series: series)  // linear in its float inputs
  }
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let (a, b) = (inputs[1], inputs[2])
    let shape = try broadcastShapes(inputs[0].shape, broadcastShapes(a.shape, b.shape))
    let dtype = resultType(a, b)
    let out = try Tensor(uninitializedShape: shape, dtype: dtype)
    let condition = try inputs[0].converted(to: .bool)
    if condition.count == 1 {  // one condition for all (a power's derivative has one): a copy of one side
      copyInto(out, from: condition.pointer(Bool.self)[0] ? a : b)
      return withExtendedLifetime(condition) { out }
    }
    copyInto(out, from: b)
    let cond = try condition.broadcastView(to: shape).densified()
    let chosen = try a.converted(to: dtype).broadcastView(to: shape).densified()
    // Typed element copies by item size (a copyMemory call per element, its byte count known only
    // at run time, made a 262k-element select take 13 ns an element).
    func select<T>(_: T.Type) {
      let (mask, src, dst) = (cond.pointer(Bool.self), chosen.pointer(T.self), out.pointer(T.self))
      for i in 0..<out.count where mask[i] { dst[i] = src[i] }
    }
    switch dtype.itemSize {
    case 1: select(UInt8.self)
    case 2: select(UInt16.self)
    case 4: select(UInt32.self)
    case 8: select(UInt64.self)
    default:
      let (mask, bytes) = (cond.pointer(Bool.self), dtype.itemSize)
      for i in 0..<out.count where mask[i] {
        (out.baseAddress + i * bytes).copyMemory(from: chosen.baseAddress + i * bytes, byteCount: bytes)
      }
    }
    return withExtendedLifetime((cond, chosen)) { out }
  }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent g: Tensor) throws -> [Tensor?] {
    let (cond, a, b) = (inputs[0], inputs[1], inputs[2])
    let zero = try full([], 0, dtype: g.dtype)
    return [
      nil,
      a.requiresGrad ? try unbroadcast(`where`(cond, g, zero), to: a.shape) : nil,
      b.requiresGrad ? try unbroadcast(`where`(cond, zero, g), to: b.shape) : nil,
    ]
  }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents t: [Tensor?]) throws -> Tensor? {
    guard t[1] != nil || t[2] != nil else { return nil }
    let zero = try full([], 0, dtype: output.dtype)
    return try `where`(inputs[0], t[1] ?? zero, t[2] ?? zero)
  }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try broadcastingBatch(self, inputs, axes)
  }
}

func compare(_ op: Compare.Op, _ a: Tensor, _ b: Tensor) throws -> Tensor {
  try apply(Compare(op: op), [a, b])
}
public func equal(_ a: Tensor, _ b: Tensor) throws -> Tensor { try compare(.equal, a, b) }
public func notEqual(_ a: Tensor, _ b: Tensor) throws -> Tensor { try compare(.notEqual, a, b) }
public func less(_ a: Tensor, _ b: Tensor) throws -> Tensor { try compare(.less, a, b) }
public func lessEqual(_ a: Tensor, _ b: Tensor) throws -> Tensor { try compare(.lessEqual, a, b) }
public func greater(_ a: Tensor, _ b: Tensor) throws -> Tensor { try compare(.greater, a, b) }
public func greaterEqual(_ a: Tensor, _ b: Tensor) throws -> Tensor { try compare(.greaterEqual, a, b) }
public func equal(_ a: Tensor, _ b: Double) throws -> Tensor { try equal(a, scalar(b)) }
public func less(_ a: Tensor, _ b: Double) throws -> Tensor { try less(a, scalar(b)) }
public func greater(_ a: Tensor, _ b: Double) throws -> Tensor { try greater(a, scalar(b)) }
public func greaterEqual(_ a: Tensor, _ b: Double) throws -> Tensor { try greaterEqual(a, scalar(b)) }
public func logicalAnd(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(LogicalAnd(), [a, b]) }
public func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
  try apply(Where(), [condition, a, b])
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let comparisons: [Operation] = [
    .binary("equal", "Elementwise x1 == x2 (bool).", differentiable: false, equal),
    .binary("not_equal", "Elementwise x1 != x2 (bool).", differentiable: false, notEqual),
    .binary("less", "Elementwise x1 < x2 (bool).", differentiable: false, less),
    .binary("less_equal", "Elementwise x1 <= x2 (bool).", differentiable: false, lessEqual),
    .binary("greater", "Elementwise x1 > x2 (bool).", differentiable: false, greater),
    .binary("greater_equal", "Elementwise x1 >= x2 (bool).", differentiable: false, greaterEqual),
    Operation("where", "condition, x, y", "Elementwise choice x where condition else y, with broadcasting.") {
      [try `where`($0.tensor(0), $0.tensor(1), $0.tensor(2))]
    },
  ]
}
