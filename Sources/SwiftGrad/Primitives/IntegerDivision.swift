/// Floor division and its remainder (Python's `//` and `%`, NumPy's floor_divide and remainder), and
/// the bitwise operators of integers and bools.
///
/// Note [Floor division]: for floats the quotient and remainder come from one fmod, as NumPy's
/// divmod does, so that `a == b * (a // b) + a % b` holds as closely as rounding allows and the
/// remainder takes the divisor's sign. Integer division by zero gives 0 (NumPy's result, without
/// its warning); Int64.min // -1 wraps to Int64.min. The quotient is piecewise constant (zero
/// gradient); the remainder's partials are 1 and -(a // b).

@inline(__always) func floorDivmod<T: FloatElement>(_ a: T, _ b: T) -> (quotient: T, remainder: T) {
  guard b != 0 else { return (a / b, a.truncatingRemainder(dividingBy: b)) }
  var mod = a.truncatingRemainder(dividingBy: b)
  var div = (a - mod) / b
  if mod != 0 {
    if (b < 0) != (mod < 0) {
      mod += b
      div -= 1
    }
  } else {
    mod = T(signOf: b, magnitudeOf: 0)
  }
  guard div != 0 else { return (T(signOf: a / b, magnitudeOf: 0), mod) }
  var floored = div.rounded(.down)
  if div - floored > 0.5 { floored += 1 }
  return (floored, mod)
}

@inline(__always) func floorDivmod(_ a: Int64, _ b: Int64) -> (quotient: Int64, remainder: Int64) {
  guard b != 0 else { return (0, 0) }
  let (q, overflow) = a.dividedReportingOverflow(by: b)
  if overflow { return (q, 0) }
  let r = a &- q &* b
  return r != 0 && (r < 0) != (b < 0) ? (q &- 1, r &+ b) : (q, r)
}

public struct FloorDivide: BinaryPartials {
  public static let name = "floor_divide"
  public static var readsValues: Bool { false }
  public static func apply<T: FloatElement>(_ a: T, _ b: T) -> T { floorDivmod(a, b).quotient }
  public static func applyInteger(_ a: Int64, _ b: Int64) -> Int64? { floorDivmod(a, b).quotient }
  public func partial(_ index: Int, _ a: Tensor, _ b: Tensor, _ y: Tensor) throws -> Tensor {
    try full([], 0, dtype: y.dtype)
  }
}

public struct Remainder: BinaryPartials {
  public static let name = "remainder"
  public static func apply<T: FloatElement>(_ a: T, _ b: T) -> T { floorDivmod(a, b).remainder }
  public static func applyInteger(_ a: Int64, _ b: Int64) -> Int64? { floorDivmod(a, b).remainder }
  public func partial(_ index: Int, _ a: Tensor, _ b: Tensor, _ y: Tensor) throws -> Tensor {
    index == 0 ? try full([], 1, dtype: y.dtype) : try neg(floorDivide(a, b))
  }
}

/// Bitwise and/or/xor and shifts of int64 and bool operands (bools stay bool for and/or/xor).
/// Shifts by a negative count raise; by 64 or more give 0 (left) or the sign fill (right), as
/// NumPy's do.
public struct Bitwise: Primitive {
  public enum Op: Int32, Sendable { case and, or, xor, leftShift, rightShift }
  public static let name = "bitwise"
  public static var isDifferentiable: Bool { false }
  public let op: Op

  @inline(__always) static func combine(_ op: Op, _ a: Int64, _ b: Int64) -> Int64 {
    switch op {
    case .and: return a & b
    case .or: return a | b
    case .xor: return a ^ b
    case .leftShift: return b >= 64 ? 0 : a << b
    case .rightShift: return a >> Swift.min(b, 63)
    }
  }

  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let (a, b) = (inputs[0], inputs[1])
    let shape = try broadcastShapes(a.shape, b.shape)
    let dtype = resultType(a, b)
    let op = self.op
    if dtype == .bool && (op == .leftShift || op == .rightShift) {
      let (ai, bi) = (try a.converted(to: .int64), try b.converted(to: .int64))
      return try mapElements(ai, bi, shape: shape, to: .int64) { (x: Int64, y: Int64) in Bitwise.combine(op, x, y) }
    }
    if dtype == .bool {
      return try mapElements(a.converted(to: .bool), b.converted(to: .bool), shape: shape,
        to: .bool) { (x: Bool, y: Bool) in Bitwise.combine(op, x ? 1 : 0, y ? 1 : 0) != 0 }
    }
    let (ai, bi) = (try a.converted(to: .int64), try b.converted(to: .int64))
    return try mapElements(ai, bi, shape: shape, to: .int64) { (x: Int64, y: Int64) in Bitwise.combine(op, x, y) }
  }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor) throws -> [Tensor?] { [nil, nil] }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? { nil }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) {
    try broadcastingBatch(self, inputs, axes)
  }
}

/// `~x`: the bitwise complement of an int64, logical not of a bool.
public struct BitwiseInvert: Primitive {
  public static let name = "bitwise_invert"
  public static var isDifferentiable: Bool { false }
  public func forward(_ inputs: [Tensor]) throws -> Tensor {
    let x = inputs[0]
    if x.dtype == .bool { return try mapElements(x, to: .bool) { (v: Bool) in !v } }
    return try mapElements(x.converted(to: .int64), to: .int64) { (v: Int64) in ~v }
  }
  public func vjp(_ inputs: [Tensor], output: Tensor, cotangent: Tensor) throws -> [Tensor?] { [nil] }
  public func jvp(_ inputs: [Tensor], output: Tensor, tangents: [Tensor?]) throws -> Tensor? { nil }
  public func batch(_ inputs: [Tensor], axes: [Int?]) throws -> (Tensor, Int?) { (try apply(self, inputs), axes[0]) }
}

public func floorDivide(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(FloorDivide(), [a, b]) }
public func remainder(_ a: Tensor, _ b: Tensor) throws -> Tensor { try apply(Remainder(), [a, b]) }

func checkIntegral(_ name: String, _ tensors: [Tensor]) throws {
  for t in tensors where t.dtype.isFloatingPoint {
    let dtypes = tensors.map { "\($0.dtype)" }.joined(separator: ", ")
    throw SGError.type("\(name) needs integer or bool operands, got \(dtypes)")
  }
}

public func bitwise(_ op: Bitwise.Op, _ a: Tensor, _ b: Tensor) throws -> Tensor {
  let name = ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift"][Int(op.rawValue)]
  try checkIntegral(name, [a, b])
  if op == .leftShift || op == .rightShift, try anyTrue(less(b, 0)) {
    throw SGError.value("\(name): shift counts must be non-negative")
  }
  return try apply(Bitwise(op: op), [a, b])
}

public func bitwiseInvert(_ x: Tensor) throws -> Tensor {
  try checkIntegral("bitwise_invert", [x])
  return try apply(BitwiseInvert(), [x])
}

// MARK: Operation table (Note [One op table])
extension Operation {
  static let integerDivision: [Operation] = [
    .binary("floor_divide", "Elementwise floor of x1 / x2 (Python's //); zero gradient.", floorDivide),
    .binary("remainder", "Elementwise x1 - floor(x1 / x2) * x2, with the sign of x2 (Python's %).", remainder),
    .binary("bitwise_and", "Elementwise x1 & x2 of integers or bools.", differentiable: false) {
      try bitwise(.and, $0, $1)
    },
    .binary("bitwise_or", "Elementwise x1 | x2 of integers or bools.", differentiable: false) {
      try bitwise(.or, $0, $1)
    },
    .binary("bitwise_xor", "Elementwise x1 ^ x2 of integers or bools.", differentiable: false) {
      try bitwise(.xor, $0, $1)
    },
    .binary("bitwise_left_shift", "Elementwise x1 << x2 of integers.", differentiable: false) {
      try bitwise(.leftShift, $0, $1)
    },
    .binary("bitwise_right_shift", "Elementwise x1 >> x2 of integers (arithmetic shift).", differentiable: false) {
      try bitwise(.rightShift, $0, $1)
    },
    .unary("bitwise_invert", "Elementwise ~x of integers or bools.", differentiable: false, bitwiseInvert),
  ]
}
