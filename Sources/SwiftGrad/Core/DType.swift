/// Element types. Raw values order the promotion lattice: bool < int64 < float32 < float64.
public enum DType: Int32, CaseIterable, CustomStringConvertible, Sendable {
  case bool = 0
  case int64 = 1
  case float32 = 2
  case float64 = 3

  public var itemSize: Int {
    switch self {
    case .bool: return 1
    case .int64, .float64: return 8
    case .float32: return 4
    }
  }
  public var isFloatingPoint: Bool { self == .float32 || self == .float64 }
  public var description: String {
    switch self {
    case .bool: return "bool"
    case .int64: return "int64"
    case .float32: return "float32"
    case .float64: return "float64"
    }
  }

  /// NumPy's promotion for two arrays.
  public static func promote(_ a: DType, _ b: DType) -> DType { a.rawValue >= b.rawValue ? a : b }

  /// The dtype a float-only op (exp, division, ...) computes in: ints and bools become float64.
  public var floatingPoint: DType { isFloatingPoint ? self : .float64 }
}

/// The element types kernels are written for.
public protocol Element { static var dtype: DType { get } }
extension Bool: Element { public static var dtype: DType { .bool } }
extension Int64: Element { public static var dtype: DType { .int64 } }
extension Float: Element { public static var dtype: DType { .float32 } }
extension Double: Element { public static var dtype: DType { .float64 } }
