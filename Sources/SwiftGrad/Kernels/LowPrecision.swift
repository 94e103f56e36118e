import CBLAS

/// The 16-bit float storage types (bfloat16, float16): their element types, the conversion
/// loops, and the one place where primitives meet them (Note [Low-precision forward]).

/// bfloat16: the upper half of a float32 (8 exponent bits, 7 mantissa bits).
@frozen public struct BFloat16: Sendable, Equatable {
  public var bitPattern: UInt16
  @inline(__always) public init(bitPattern: UInt16) { self.bitPattern = bitPattern }
  /// Round-to-nearest-even from float32; NaNs stay (quiet) NaNs.
  @inline(__always) public init(_ x: Float) { bitPattern = LowPrecision.bfloat16Bits(x.bitPattern) }
  @inline(__always) public var float: Float { Float(bitPattern: UInt32(bitPattern) << 16) }
}

extension BFloat16: NumericElement {
  public init(fromDouble value: Double) { self.init(LowPrecision.floatRoundedToOdd(value)) }
  public init(fromInt64 value: Int64) { self.init(fromDouble: Double(value)) }
  public var doubleValue: Double { Double(float) }
  public var int64Value: Int64 { Int64(fromDouble: Double(float)) }
}

// Swift's Float16 is used as a 16-bit container only: conversions go through the bit-level
// loops below (no libcalls, vectorisable), never through Float16's own arithmetic.
extension Float16: NumericElement {
  public init(fromDouble value: Double) {
    self.init(bitPattern: LowPrecision.halfBits(LowPrecision.floatRoundedToOdd(value).bitPattern))
  }
  public init(fromInt64 value: Int64) { self.init(fromDouble: Double(value)) }
  public var doubleValue: Double { Double(LowPrecision.float(halfBits: bitPattern)) }
  public var int64Value: Int64 { Int64(fromDouble: doubleValue) }
}

public enum LowPrecision {
  /// float32 bits -> bfloat16 bits, round to nearest even (branch-free, so loops vectorise).
  @inline(__always) static func bfloat16Bits(_ u: UInt32) -> UInt16 {
    let rounded = (u &+ 0x7FFF &+ ((u >> 16) & 1)) >> 16
    let isNaN = (u & 0x7FFF_FFFF) > 0x7F80_0000
    return UInt16(truncatingIfNeeded: isNaN ? (u >> 16) | 0x40 : rounded)
  }

  /// float16 bits -> float32 (exact; subnormals, infinities and NaNs included).
  @inline(__always) static func float(halfBits h: UInt16) -> Float {
    let h32 = UInt32(h)
    let magnitude = (h32 & 0x7FFF) << 13
    let exponent = magnitude & 0x0F80_0000
    let normal = Float(bitPattern: magnitude &+ 0x3800_0000)
    let special = Float(bitPattern: magnitude &+ 0x7000_0000)  // inf/NaN: exponent all ones
    let subnormal = Float(bitPattern: magnitude &+ 0x3880_0000) - Float(bitPattern: 0x3880_0000)
    let value = exponent == 0x0F80_0000 ? special : (exponent == 0 ? subnormal : normal)
    return Float(bitPattern: value.bitPattern | ((h32 & 0x8000) << 16))
  }

  /// float32 bits -> float16 bits, round to nearest even (overflow to inf, NaN stays NaN).
  @inline(__always) static func halfBits(_ bits: UInt32) -> UInt16 {
    let sign = bits & 0x8000_0000
    let f = bits ^ sign
    let overflow: UInt32 = f > 0x7F80_0000 ? 0x7E00 : 0x7C00
    // Below 2^-14 the result is subnormal: adding 0.5 aligns the mantissa so that the float
    // adder's own rounding (nearest even) is the float16 rounding.
    let sub = (Float(bitPattern: f) + Float(bitPattern: 0x3F00_0000)).bitPattern &- 0x3F00_0000
    let odd = (f >> 13) & 1
    let normal = (f &+ 0xC800_0FFF &+ odd) >> 13  // rebias the exponent (15 - 127) and round
    let magnitude = f >= 0x4780_0000 ? overflow : (f < 0x3880_0000 ? sub : normal)
    return UInt16(truncatingIfNeeded: magnitude | (sign >> 16))
  }

  /// `x` rounded to float32 with round-to-odd, so that a second rounding to a 16-bit float
  /// gives the correctly rounded result of `x` (no double-rounding error).
  @inline(__always) static func floatRoundedToOdd(_ x: Double) -> Float {
    let f = Float(x)
    guard f.isFinite, Double(f) != x else { return f }
    var bits = f.bitPattern
    if Swift.abs(Double(f)) > Swift.abs(x) { bits &-= 1 }  // toward zero
    return Float(bitPattern: bits | 1)
  }

  // --- Bulk conversion loops (contiguous; written for the auto-vectoriser) -------------------

  static func widen(_ s: UnsafePointer<BFloat16>, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
    s.withMemoryRebound(to: UInt16.self, capacity: n) { p in
      d.withMemoryRebound(to: UInt32.self, capacity: n) { q in for i in 0..<n { q[i] = UInt32(p[i]) << 16 } }
    }
  }
  static func narrow(_ s: UnsafePointer<Float>, _ d: UnsafeMutablePointer<BFloat16>, _ n: Int) {
    s.withMemoryRebound(to: UInt32.self, capacity: n) { p in
      d.withMemoryRebound(to: UInt16.self, capacity: n) { q in for i in 0..<n { q[i] = bfloat16Bits(p[i]) } }
    }
  }
  static func widen(_ s: UnsafePointer<Float16>, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
    s.withMemoryRebound(to: UInt16.self, capacity: n) { p in for i in 0..<n { d[i] = float(halfBits: p[i]) } }
  }
  static func narrow(_ s: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float16>, _ n: Int) {
    s.withMemoryRebound(to: UInt32.self, capacity: n) { p in
      d.withMemoryRebound(to: UInt16.self, capacity: n) { q in for i in 0..<n { q[i] = halfBits(p[i]) } }
    }
  }

  /// The dense conversions between a 16-bit float and float32: true when it handled the copy.
  static func convertDense(_ src: Tensor, into dst: Tensor, count n: Int) -> Bool {
    switch (src.dtype, dst.dtype) {
    case (.bfloat16, .float32): widen(src.pointer(BFloat16.self), dst.pointer(Float.self), n)
    case (.float16, .float32): widen(src.pointer(Float16.self), dst.pointer(Float.self), n)
    case (.float32, .bfloat16): narrow(src.pointer(Float.self), dst.pointer(BFloat16.self), n)
    case (.float32, .float16): narrow(src.pointer(Float.self), dst.pointer(Float16.self), n)
    default: return false
    }
    return true
  }
}

/// One element between a 16-bit float and float32 (the per-element form of the loops above).
@inline(__always)
func convertLowPrecision<S: NumericElement, D: NumericElement>(_ s: S, to _: D.Type) -> D? {
  if S.self == BFloat16.self && D.self == Float.self {
    return unsafeBitCast(unsafeBitCast(s, to: BFloat16.self).float, to: D.self)
  }
  if S.self == Float.self && D.self == BFloat16.self {
    return unsafeBitCast(BFloat16(unsafeBitCast(s, to: Float.self)), to: D.self)
  }
  if S.self == Float16.self && D.self == Float.self {
    return unsafeBitCast(LowPrecision.float(halfBits: unsafeBitCast(s, to: UInt16.self)), to: D.self)
  }
  if S.self == Float.self && D.self == Float16.self {
    return unsafeBitCast(LowPrecision.halfBits(unsafeBitCast(s, to: UInt32.self)), to: D.self)
  }
  return nil
}

// MARK: - Note [Low-precision forward]
// Kernels are written for float32, float64, int64 and bool only. `forwardInStorageDType` is the
// single place where a primitive meets the storage-only dtypes (`DType.isStorageOnly`):
// bfloat16/float16 are widened to float32, int8...uint32 to int64 (exact), uint64 to its int64
// bit pattern; the primitive's own forward runs, and a result in the compute dtype is converted
// once into the storage dtype: rounded (nearest even) for the 16-bit floats, wrapped (truncated
// to the width) for the integers, which is NumPy's modular arithmetic (int8(127) + 1 == -128).
// Reductions thereby accumulate in float32 (or in float64 where the float32 kernel already
// does), matmul calls sgemm, and every VJP/JVP — written with public ops that come back through
// here — runs in the primal's dtype. Primitives that only move bytes (views, reshape, casts,
// copies, where) and user callbacks conform to `StorageGenericPrimitive` and see the data as it
// is: views of a bfloat16 or int8 tensor stay views.
//
// The storage dtype is `resultType` of the operands, except: gathers and scatters keep their
// data's dtype (`TargetDTypePrimitive`, so an int32 index array does not promote an int8
// result); index results (argsort, argmax, searchsorted) stay int64; sums and products of
// integers accumulate in the default integer of their kind (int64, uint64 for unsigned), the
// array API's `sum`/`prod`/`cumulative_sum` rule for dtype=None (`AccumulatingPrimitive`).
//
// uint64: its int64 bit pattern is exact for +, -, *, bitwise ops, left shifts, sums, products
// and data movement, and for every op while no operand has its top bit set (values < 2^63, the
// common case: checked by one scan of the uint64 operands). With a value >= 2^63: ordering
// primitives (`OrderingPrimitive`: comparisons, maximum/minimum, max/min, argsort, argmax,
// searchsorted) see the bits with the top bit flipped, which maps unsigned order onto signed
// order; floor_divide, remainder, right shifts, abs, sign and relu have UInt64 loops
// (`unsigned64Forward`); an op whose result is a float is recomputed from the uint64 values
// converted straight to that float dtype. uint64 with a signed operand promotes to float64, so
// there the uint64 operands are converted to float64 before the kernel.

/// A primitive whose forward handles every dtype by moving elements (or is a user callback).
protocol StorageGenericPrimitive {}
extension Reshape: StorageGenericPrimitive {}
extension Transpose: StorageGenericPrimitive {}
extension BroadcastTo: StorageGenericPrimitive {}
extension Cast: StorageGenericPrimitive {}
extension Copy: StorageGenericPrimitive {}
extension BasicIndex: StorageGenericPrimitive {}
extension Diagonal: StorageGenericPrimitive {}
extension Identity: StorageGenericPrimitive {}
extension CustomFunction: StorageGenericPrimitive {}
extension Where: StorageGenericPrimitive {}
extension Take: StorageGenericPrimitive {}

/// A primitive whose result has the dtype of its first input (writes into a target, or gathers
/// from it with integer indices of any width).
protocol TargetDTypePrimitive {}
extension IndexPut: TargetDTypePrimitive {}
extension IndexSet: TargetDTypePrimitive {}
extension DynamicTake: TargetDTypePrimitive {}
extension DynamicScatterAdd: TargetDTypePrimitive {}
extension EmbeddingLookup: TargetDTypePrimitive {}

/// A primitive whose int64 result is an index, not a value of its operands' dtype.
protocol IndexResultPrimitive {}
extension ArgSort: IndexResultPrimitive {}
extension ArgExtremum: IndexResultPrimitive {}
extension SearchSorted: IndexResultPrimitive {}
extension NormalizeIndex: IndexResultPrimitive {}

/// Sums and products: integers accumulate in int64 (uint64 for unsigned operands).
protocol AccumulatingPrimitive {}
extension Sum: AccumulatingPrimitive {}
extension Prod: AccumulatingPrimitive {}
extension Cumsum: AccumulatingPrimitive {}
extension Cumprod: AccumulatingPrimitive {}

/// A primitive that orders its operands (uint64 >= 2^63 needs the flipped top bit).
protocol OrderingPrimitive {}
extension Compare: OrderingPrimitive {}
extension Maximum: OrderingPrimitive {}
extension Minimum: OrderingPrimitive {}
extension Extremum: OrderingPrimitive {}
extension ArgSort: OrderingPrimitive {}
extension ArgExtremum: OrderingPrimitive {}
extension SearchSorted: OrderingPrimitive {}

extension Primitive {
  /// `forward`, with storage-only operands computed in their compute dtype (Note [Low-precision forward]).
  func forwardInStorageDType(_ inputs: [Tensor]) throws -> Tensor {
    if inputs.contains(where: { $0.dtype.isComplex }) { return try complexForwardOrRefusal(inputs) }
    guard inputs.contains(where: { $0.dtype.isStorageOnly }), !(self is StorageGenericPrimitive) else {
      return try forward(inputs)
    }
    // bfloat16 matmul on a BLAS with a bfloat16 GEMM: MatMul hands the 16-bit operands to it.
    if self is MatMul && inputs.allSatisfy({ $0.dtype == .bfloat16 }) && BFloat16Gemm.current != .widen {
      return try forward(inputs)
    }
    let promoted = resultType(inputs)
    var storage = self is TargetDTypePrimitive ? inputs[0].dtype : promoted
    if self is AccumulatingPrimitive && !storage.isFloatingPoint {
      storage = storage.kind == .unsigned ? .uint64 : .int64
    }
    if storage.isFloatingPoint && inputs.contains(where: { $0.dtype == .uint64 }) {
      // uint64 with a signed integer (float64) or a float: the values, not the bit pattern.
      let compute = storage.computeDType
      return try narrowed(forward(inputs.map { try $0.dtype == .uint64 ? $0.converted(to: compute) : $0.widened() }),
        to: storage)
    }
    if try inputs.contains(where: { try $0.dtype == .uint64 && $0.hasTopBitSet() }) {
      if let out = try unsigned64Forward(inputs, promoted: storage) { return out }
      let out = try forward(inputs.map { try $0.widened() })
      guard out.dtype.isFloatingPoint else { return try narrowed(out, to: storage) }
      return try forward(inputs.map { try $0.dtype == .uint64 ? $0.converted(to: out.dtype) : $0.widened() })
    }
    return try narrowed(forward(inputs.map { try $0.widened() }), to: storage)
  }

  /// `out` converted into `storage` when the kernel computed in storage's compute dtype.
  private func narrowed(_ out: Tensor, to storage: DType) throws -> Tensor {
    guard storage.isStorageOnly, out.dtype == storage.computeDType, !(self is IndexResultPrimitive) else { return out }
    return storage == .uint64 ? out.reinterpreted(as: .uint64) : try out.converted(to: storage)
  }

  /// The uint64 forms of the primitives that the int64 bit pattern gets wrong above 2^63 (nil:
  /// not one of them).
  private func unsigned64Forward(_ inputs: [Tensor], promoted: DType) throws -> Tensor? {
    guard promoted == .uint64 else { return nil }
    if self is OrderingPrimitive {
      let out = try forward(inputs.map { try $0.converted(to: .uint64).orderKey() })
      guard out.dtype == .int64, !(self is IndexResultPrimitive) else { return out }
      return try mapElements(out, to: .uint64) { (v: Int64) in UInt64(bitPattern: v) ^ (1 << 63) }
    }
    let u = try inputs.map { try $0.converted(to: .uint64) }
    func binary(_ f: (UInt64, UInt64) -> UInt64) throws -> Tensor {
      try mapElements(u[0], u[1], shape: broadcastShapes(u[0].shape, u[1].shape), to: .uint64, f)
    }
    switch self {
    case is FloorDivide: return try binary { x, y in y == 0 ? 0 : x / y }
    case is Remainder: return try binary { x, y in y == 0 ? 0 : x % y }
    case let op as Bitwise where op.op == .rightShift: return try binary { x, y in y >= 64 ? 0 : x >> y }
    case is Abs, is Relu: return try u[0].densified()
    case is Sign: return try mapElements(u[0], to: .uint64) { (v: UInt64) -> UInt64 in v == 0 ? 0 : 1 }
    default: return nil
    }
  }
}

extension Tensor {
  /// This tensor in its compute dtype (itself when it is not storage-only).
  func widened() throws -> Tensor {
    guard dtype.isStorageOnly else { return self }
    return dtype == .uint64 ? reinterpreted(as: .int64) : try converted(to: dtype.computeDType)
  }

  /// The same bytes read as `dtype` of the same item size (uint64 <-> int64): a view, no copy.
  func reinterpreted(as dtype: DType) -> Tensor {
    Tensor(storage: storage, shape: shape, strides: strides, offset: offset, dtype: dtype)
  }

  /// Whether a uint64 tensor holds a value >= 2^63 (where its int64 bit pattern is negative).
  func hasTopBitSet() throws -> Bool {
    let d = try densified()
    return withExtendedLifetime(d) {
      UnsafeBufferPointer(start: d.pointer(Int64.self), count: d.count).contains { $0 < 0 }
    }
  }

  /// int64 keys in the order of the values: uint64 with its top bit flipped, others converted.
  func orderKey() throws -> Tensor {
    guard dtype.kind == .unsigned else { return try converted(to: .int64) }
    return try mapElements(converted(to: .uint64), to: .int64) { (v: UInt64) in Int64(bitPattern: v ^ (1 << 63)) }
  }
}

/// `resultType` of any number of operands: strong dtypes promote; a weak (Python scalar)
/// operand only matters when it is of a higher kind than every strong one.
func resultType(_ inputs: [Tensor]) -> DType {
  let strong = inputs.filter { !$0.isWeaklyTyped }.map(\.dtype)
  guard var result = strong.first else { return inputs.map(\.dtype).reduce(inputs[0].dtype, DType.promote) }
  for d in strong.dropFirst() { result = DType.promote(result, d) }
  for w in inputs where w.isWeaklyTyped && w.dtype.kind.rank > result.kind.rank {
    result = weakResult(strong: result, weak: w.dtype)
  }
  return result
}

/// A weak (Python scalar) operand of a higher kind than the strong dtype: its dtype, except that a
/// complex scalar takes the strong float's width (float32 * 1j is complex64, as in NumPy 2 and JAX).
func weakResult(strong: DType, weak: DType) -> DType {
  weak.isComplex && strong.isFloatingPoint ? strong.complexCounterpart : weak
}

/// The error of a kernel reached with a storage-only dtype: `forwardInStorageDType` widens those
/// first, so this names a primitive called around it (a bug, reported rather than trapped).
func storageOnly(_ dtype: DType) -> SGError {
  .runtime("internal: a \(dtype) operand reached a float32/float64 kernel (Note [Low-precision forward])")
}
