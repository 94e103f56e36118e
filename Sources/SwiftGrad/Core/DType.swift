/// Note [The dtype layer]: a dtype is described by data, not by its place in an ordering.
/// Each case states its `kind` (bool, signed, unsigned, float, complex), its `itemSize` and its
/// `computeDType`; promotion, the float-only fallback and the low-precision path are derived from
/// those, never from raw values. Raw values are the C ABI codes (`sg_tensor_dtype`,
/// include/swiftgrad.h, python/swiftgrad/_dtypes.py) and stay fixed: new dtypes take new codes.
///
/// Promotion (`promote`) follows the array API standard and JAX:
/// - same kind: the wider type; two floats of one width but different formats (bfloat16 and
///   float16) meet at float32, the narrowest type holding both exactly;
/// - different kinds: bool < integer < float < complex, the higher kind wins (int64 + bfloat16 is
///   bfloat16, as in JAX; float32 + complex64 is complex64, float64 + complex64 complex128);
/// - signed with unsigned: the signed type wider than the unsigned one (int8 + uint8 is int16);
///   uint64 with a signed type has no integer home and gives float64 (JAX's choice).
/// Weakly typed operands (Python scalars, `markWeaklyTyped`) only take part through their kind:
/// `resultType` keeps the strong operand's dtype unless the scalar is of a higher kind.
///
/// Low precision: bfloat16 and float16 are storage formats. Their `computeDType` is float32:
/// every primitive's forward kernel sees float32 operands and its float32 result is rounded once
/// (round-to-nearest-even) into the storage dtype (Note [Low-precision forward] in
/// Kernels/LowPrecision.swift). Reductions therefore accumulate in float32 (or wider) and matmul
/// calls sgemm on converted operands (or a bfloat16 GEMM: Note [Low-precision GEMM]).
///
/// Integers: int8, int16, int32, uint8, uint16, uint32 and uint64 are storage formats as well,
/// computing in int64 (uint64 as its bit pattern) and wrapped back to their width (Note
/// [Low-precision forward], which also says how uint64 values >= 2^63 stay exact). Sums and
/// products of integers give int64 (uint64 for unsigned), the array API's dtype=None rule.
///
/// Complex: complex64 and complex128 are pairs of float32/float64 (`Complex<R>`, Kernels/Complex.swift).
/// They compute in themselves, but only primitives that state a complex forward accept them
/// (Note [Complex dtypes]); every other primitive raises a TypeError naming itself and the dtype.
///
/// Adding a dtype is: a case with a new code, its row in `kind`,
/// `itemSize`, `description` (and `computeDType`), a `NumericElement` conformance for its Swift
/// storage type, its arms in `copyInto`'s two switches (Kernels/Strided.swift) and in `full`, and
/// the C/Python maps (include/swiftgrad.h, python/csrc, python/swiftgrad/_dtypes.py). The
/// compiler lists the exhaustive switches of the kernels that still need an arm. Promotion needs
/// nothing: it is computed from kind and size. The integer widths show the storage-only route:
/// computeDType int64, widened on the way in, wrapped on the way out (`WrappingIntegerElement`).
public enum DType: Int32, CaseIterable, CustomStringConvertible, Sendable {
  case bool = 0
  case int64 = 1
  case float32 = 2
  case float64 = 3
  case bfloat16 = 4
  case float16 = 5
  case int8 = 6
  case int16 = 7
  case int32 = 8
  case uint8 = 9
  case uint16 = 10
  case uint32 = 11
  case uint64 = 12
  case complex64 = 13
  case complex128 = 14

  public enum Kind: Int, Comparable, Sendable {
    case bool = 0, signed = 1, unsigned = 2, float = 3, complex = 4
    /// Bool < integer < float < complex; signed and unsigned share a rank.
    public var rank: Int {
      switch self {
      case .bool: return 0
      case .signed, .unsigned: return 1
      case .float: return 2
      case .complex: return 3
      }
    }
    public static func < (a: Kind, b: Kind) -> Bool { a.rank < b.rank }
  }

  public var kind: Kind {
    switch self {
    case .bool: return .bool
    case .int8, .int16, .int32, .int64: return .signed
    case .uint8, .uint16, .uint32, .uint64: return .unsigned
    case .float32, .float64, .bfloat16, .float16: return .float
    case .complex64, .complex128: return .complex
    }
  }

  public var itemSize: Int {
    switch self {
    case .bool, .int8, .uint8: return 1
    case .bfloat16, .float16, .int16, .uint16: return 2
    case .float32, .int32, .uint32: return 4
    case .int64, .float64, .uint64, .complex64: return 8
    case .complex128: return 16
    }
  }

  public var description: String {
    switch self {
    case .bool: return "bool"
    case .int64: return "int64"
    case .float32: return "float32"
    case .float64: return "float64"
    case .bfloat16: return "bfloat16"
    case .float16: return "float16"
    case .int8: return "int8"
    case .int16: return "int16"
    case .int32: return "int32"
    case .uint8: return "uint8"
    case .uint16: return "uint16"
    case .uint32: return "uint32"
    case .uint64: return "uint64"
    case .complex64: return "complex64"
    case .complex128: return "complex128"
    }
  }

  /// Whether this is a real floating-point type (of any width, low precision included).
  public var isFloatingPoint: Bool { kind == .float }
  /// complex64 or complex128.
  public var isComplex: Bool { kind == .complex }
  /// Real floating or complex: the dtypes that carry gradients and tangents.
  public var isInexact: Bool { kind == .float || kind == .complex }
  /// The real dtype of a complex dtype's parts (complex64: float32); the dtype itself otherwise.
  public var realPart: DType {
    switch self {
    case .complex64: return .float32
    case .complex128: return .float64
    default: return self
    }
  }
  /// The complex dtype whose parts hold this dtype exactly (float16, bfloat16, float32: complex64;
  /// float64 and the integers: complex128, as a Python float would be float64).
  public var complexCounterpart: DType {
    switch self {
    case .complex64, .complex128: return self
    case .float32, .float16, .bfloat16: return .complex64
    default: return .complex128
    }
  }
  /// The dtype kernels compute in: float32 for the 16-bit floats, int64 for the other integers
  /// (uint64 as its bit pattern), the dtype itself otherwise.
  public var computeDType: DType {
    switch self {
    case .bfloat16, .float16: return .float32
    case .int8, .int16, .int32, .uint8, .uint16, .uint32, .uint64: return .int64
    default: return self
    }
  }
  /// A storage-only type: kernels never see it (Note [Low-precision forward]).
  public var isStorageOnly: Bool { computeDType != self }
  /// A storage-only float (bfloat16, float16).
  public var isLowPrecision: Bool { isStorageOnly && kind == .float }
  /// Whether this is an integer type (signed or unsigned; not bool).
  public var isInteger: Bool { kind == .signed || kind == .unsigned }
  /// Machine epsilon of the floating types (the gap above 1); nil for the others.
  public var epsilon: Double? {
    switch self {
    case .bfloat16: return 0x1p-7
    case .float16: return 0x1p-10
    case .float32: return 0x1p-23
    case .float64: return 0x1p-52
    default: return nil
    }
  }

  /// The dtype of `kind` and `size` bytes, if swiftgrad has it.
  static func of(_ kind: Kind, size: Int) -> DType? {
    allCases.first { $0.kind == kind && $0.itemSize == size && !($0 == .bfloat16) }
  }

  /// The promotion of two strongly typed dtypes (Note [The dtype layer]).
  public static func promote(_ a: DType, _ b: DType) -> DType {
    if a == b { return a }
    let (ka, kb) = (a.kind, b.kind)
    if ka.rank != kb.rank {
      let (high, low) = ka.rank > kb.rank ? (a, b) : (b, a)
      // complex64 with float64 needs float64 parts: complex128 (NumPy, JAX).
      if high == .complex64 && low == .float64 { return .complex128 }
      return high
    }
    switch (ka, kb) {
    case (.float, .float):
      if a.itemSize != b.itemSize { return a.itemSize > b.itemSize ? a : b }
      return of(.float, size: a.itemSize * 2) ?? .float64  // bfloat16 + float16: float32
    case (.signed, .unsigned), (.unsigned, .signed):
      let (s, u) = ka == .signed ? (a, b) : (b, a)
      if s.itemSize > u.itemSize { return s }
      return of(.signed, size: u.itemSize * 2) ?? .float64
    default:
      return a.itemSize >= b.itemSize ? a : b
    }
  }

  /// The dtype a float-only op (exp, division, ...) computes in: ints and bools become float64.
  /// Complex dtypes are their own (mean of complex64 stays complex64).
  public var floatingPoint: DType { isInexact ? self : .float64 }
}

/// The element types kernels are written for.
public protocol Element { static var dtype: DType { get } }
extension Bool: Element { public static var dtype: DType { .bool } }
extension Int64: Element { public static var dtype: DType { .int64 } }
extension Int8: Element { public static var dtype: DType { .int8 } }
extension Int16: Element { public static var dtype: DType { .int16 } }
extension Int32: Element { public static var dtype: DType { .int32 } }
extension UInt8: Element { public static var dtype: DType { .uint8 } }
extension UInt16: Element { public static var dtype: DType { .uint16 } }
extension UInt32: Element { public static var dtype: DType { .uint32 } }
extension UInt64: Element { public static var dtype: DType { .uint64 } }
extension Float: Element { public static var dtype: DType { .float32 } }
extension Double: Element { public static var dtype: DType { .float64 } }
extension Float16: Element { public static var dtype: DType { .float16 } }
extension BFloat16: Element { public static var dtype: DType { .bfloat16 } }
extension Complex: Element { public static var dtype: DType { R.self == Float.self ? .complex64 : .complex128 } }
