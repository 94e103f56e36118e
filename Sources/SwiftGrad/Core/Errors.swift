/// Errors raised by the core. Every user-reachable failure is one of these, never a trap:
/// the C ABI turns `kind` into the matching Python exception class.
public struct SGError: Error, CustomStringConvertible {
  public enum Kind: Int32 {
    case value = 1  // ValueError: bad shapes, axes, arguments
    case type = 2  // TypeError: bad dtypes
    case index = 3  // IndexError: out-of-range indices
    case runtime = 4  // RuntimeError: autograd state (graph freed, missing rule, ...)
    case callback = 5  // an exception raised by a Python callback; the Python side keeps it
    case memory = 6  // MemoryError: an allocation this process cannot make (checked before making it)
    case axis = 7  // numpy.exceptions.AxisError (a ValueError and an IndexError): an axis out of range
  }
  public let kind: Kind
  public let message: String
  public init(_ kind: Kind, _ message: String) {
    self.kind = kind
    self.message = message
  }
  public var description: String { message }

  public static func value(_ m: String) -> SGError { SGError(.value, m) }
  public static func type(_ m: String) -> SGError { SGError(.type, m) }
  public static func index(_ m: String) -> SGError { SGError(.index, m) }
  public static func runtime(_ m: String) -> SGError { SGError(.runtime, m) }
  public static func memory(_ m: String) -> SGError { SGError(.memory, m) }
  public static func axis(_ m: String) -> SGError { SGError(.axis, m) }
}

/// "(2, 3)" in NumPy's notation, for error messages.
func describe(_ shape: [Int]) -> String {
  if shape.count == 1 { return "(\(shape[0]),)" }
  return "(" + shape.map(String.init).joined(separator: ", ") + ")"
}
