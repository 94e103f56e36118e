/// Note [One op table]: every public operation is declared once, beside its primitive, as an
/// `Operation`: its name, its signature (argument names, kinds and defaults, in Python's
/// spelling), its docstring and a body calling the Swift function. The bindings are built from
/// `Operation.all` and nothing else lists operations: the C ABI exports the table and three
/// entry points (unary, binary, general); the Python extension makes its functions and Tensor
/// methods from it at import; the stubs (`_C.pyi`), the public names of `swiftgrad` and the
/// coverage tests (op table, Swift gradcheck) are generated from or checked against it.
/// `@unchecked Sendable`: the bodies are references to pure global functions.
public struct Operation: @unchecked Sendable {
  /// Where the Python package publishes the function.
  public enum Namespace: String, Sendable {
    /// `swiftgrad.name`
    case root = ""
    /// `swiftgrad.linalg.name`
    case linalg
    /// `swiftgrad.fft.name`
    case fft
    /// `swiftgrad.nn.functional.name`
    case functional = "nn.functional"
    /// Only `swiftgrad._C.name`: wrapped by Python code that adds argument handling or a
    /// result type (`linalg.eigh`'s named tuple, `astype`'s dtype objects).
    case hidden = "_"
  }

  /// How the result reaches Python.
  public enum Result: Int32, Sendable {
    case tensor = 0, tuple = 1, list = 2
  }

  /// Where a single-tensor operation is smooth: the inputs its derivative checks draw from.
  public enum Domain: Sendable {
    /// Any real input.
    case real
    /// Positive inputs (log, sqrt).
    case positive
    /// Inputs away from 0, where the function has a kink or a pole (abs, relu).
    case awayFromZero
    /// Inputs inside (-1, 1) (arcsin, arccos).
    case unitInterval
    /// Inputs above 1 (arccosh).
    case aboveOne
    /// Invertible square matrices (inv, det).
    case invertibleMatrices
    /// Symmetric positive definite matrices (cholesky).
    case positiveDefiniteMatrices
  }

  public enum Body {
    case unary( (Tensor) throws -> Tensor)
    case binary( (Tensor, Tensor) throws -> Tensor)
    case general( (OperationArguments) throws -> [Tensor])
  }

  public let name: String
  public let parameters: [Parameter]
  public let doc: String
  public let namespace: Namespace
  /// The Tensor method with the same signature (self is the first argument), if any.
  public let method: String?
  public let result: Result
  /// False for operations with no derivative to check (comparisons, integer results, creation).
  public let isDifferentiable: Bool
  public let domain: Domain
  public let body: Body

  /// A general operation: `signature` in Python's spelling, e.g.
  /// `"a, axis: axes? = None, keepdims: bool = False"` (see `Parameter.Kind` for the kinds; an
  /// untyped parameter is a tensor).
  public init(
    _ name: String, _ signature: String, _ doc: String, namespace: Namespace = .root,
    method: String? = nil, result: Result = .tensor, differentiable: Bool = true,
    _ body: @escaping (OperationArguments) throws -> [Tensor]
  ) {
    self.init(name, Parameter.parse(signature, operation: name), doc, namespace, method, result,
              differentiable, .real, .general(body))
  }

  init(
    _ name: String, _ parameters: [Parameter], _ doc: String, _ namespace: Namespace, _ method: String?,
    _ result: Result, _ differentiable: Bool, _ domain: Domain, _ body: Body
  ) {
    self.name = name
    self.parameters = parameters
    self.doc = doc
    self.namespace = namespace
    self.method = method
    self.result = result
    self.isDifferentiable = differentiable
    self.domain = domain
    self.body = body
  }

  /// An elementwise (or otherwise single-tensor) operation `name(x)`, smooth on `domain`.
  public static func unary(
    _ name: String, _ doc: String, method: Bool = false, namespace: Namespace = .root,
    differentiable: Bool = true, domain: Domain = .real, parameter: String = "x",
    _ body: @escaping (Tensor) throws -> Tensor
  ) -> Operation {
    Operation(name, [Parameter(name: parameter, kind: .tensor)], doc, namespace, method ? name : nil, .tensor,
              differentiable, domain, .unary(body))
  }

  /// A two-tensor operation `name(x1, x2)`.
  public static func binary(
    _ name: String, _ doc: String, namespace: Namespace = .root, differentiable: Bool = true,
    parameters: (String, String) = ("x1", "x2"), _ body: @escaping (Tensor, Tensor) throws -> Tensor
  ) -> Operation {
    Operation(name, [Parameter(name: parameters.0, kind: .tensor), Parameter(name: parameters.1, kind: .tensor)],
              doc, namespace, nil, .tensor, differentiable, .real, .binary(body))
  }

  /// The Python-style signature text, e.g. `(a, axis=None, keepdims=False)`.
  public var signature: String {
    var parts: [String] = []
    var keywordOnlyOpen = false
    for p in parameters {
      if p.keywordOnly && !keywordOnlyOpen && !p.kind.isVariadic {
        parts.append("*")
        keywordOnlyOpen = true
      }
      // Python spells a variadic parameter without its default (an empty `*axes` means None).
      parts.append(p.kind.isVariadic ? "*" + p.name : p.name + (p.defaultValue.map { "=" + $0 } ?? ""))
      if p.kind.isVariadic { keywordOnlyOpen = true }
    }
    return "(" + parts.joined(separator: ", ") + ")"
  }

  /// Runs the operation on decoded arguments (checked against the signature first).
  public func call(_ values: [OperationValue]) throws -> [Tensor] {
    let arguments = try OperationArguments(self, values)
    switch body {
    case .unary(let f): return [try f(arguments.tensor(0))]
    case .binary(let f): return [try f(arguments.tensor(0), arguments.tensor(1))]
    case .general(let f): return try f(arguments)
    }
  }
}

/// One parameter of an operation's signature.
public struct Parameter: Sendable, Equatable {
  /// The argument kinds bindings convert. Raw values are the C ABI's `SG_KIND_*` codes.
  public enum Kind: Int32, Sendable, CaseIterable {
    case tensor = 0            // an array-like
    case optionalTensor = 1    // `tensor?`: an array-like or None
    case tensors = 2           // a sequence of array-likes
    case variadicTensors = 3   // `*tensors`: the remaining positional arguments
    case int = 4, optionalInt = 5, float = 6, optionalFloat = 7, bool = 8
    case ints = 9              // an int or a sequence of ints
    case optionalInts = 10     // `ints?` (None: e.g. every axis)
    case variadicInts = 11     // `*ints`: remaining positional ints, or one sequence
    case string = 12
    case intOrInts = 13        // `int|ints`: kept apart (split's sections vs indices)
    case floatOrString = 14    // `float|str?`: a number, a string or None (norm's ord)
    case intsOrString = 15     // `ints|str`: an int, a sequence of ints or a string (conv padding)
    case optionalString = 16   // `str?`: a string or None (fft's norm, as NumPy spells its default)

    public var spelling: String {
      switch self {
      case .tensor: return "tensor"
      case .optionalTensor: return "tensor?"
      case .tensors: return "tensors"
      case .variadicTensors: return "*tensors"
      case .int: return "int"
      case .optionalInt: return "int?"
      case .float: return "float"
      case .optionalFloat: return "float?"
      case .bool: return "bool"
      case .ints: return "ints"
      case .optionalInts: return "ints?"
      case .variadicInts: return "*ints"
      case .string: return "str"
      case .intOrInts: return "int|ints"
      case .floatOrString: return "float|str?"
      case .intsOrString: return "ints|str"
      case .optionalString: return "str?"
      }
    }

    public var isVariadic: Bool { self == .variadicTensors || self == .variadicInts }
  }

  /// The name, with NumPy's alternative spellings after `|` (`shape|newshape`) in `aliases`.
  public let name: String
  public let aliases: [String]
  public let kind: Kind
  /// The default as a Python literal (`None`, `0`, `-1`, `False`, `'constant'`, `1e-15`).
  public let defaultValue: String?
  public let keywordOnly: Bool

  public init(name: String, aliases: [String] = [], kind: Kind, defaultValue: String? = nil,
              keywordOnly: Bool = false) {
    self.name = name
    self.aliases = aliases
    self.kind = kind
    self.defaultValue = defaultValue
    self.keywordOnly = keywordOnly
  }

  /// Parses `"a, axis: axes? = None, *, keepdims: bool = False"`. The table is part of the
  /// program, so a malformed signature is a programming error; `Tests/SwiftGradTests` parses
  /// every one, and a bad one stops at start-up rather than at a user's call.
  static func parse(_ signature: String, operation: String) -> [Parameter] {
    var result: [Parameter] = []
    var keywordOnly = false
    for raw in signature.split(separator: ",") {
      let item = raw.trimmingSpaces
      if item == "*" {
        keywordOnly = true
        continue
      }
      let (head, defaultValue) = item.splitOnce("=")
      let (names, kindText) = head.splitOnce(":")
      let kindName = (kindText ?? "tensor").trimmingSpaces
      guard let kind = Kind.allCases.first(where: { $0.spelling == kindName }) else {
        fatalError("op table: \(operation): unknown parameter kind '\(kindName)'")
      }
      let spellings = names.split(separator: "|").map { String($0).trimmingSpaces }
      result.append(Parameter(name: spellings[0], aliases: Array(spellings.dropFirst()), kind: kind,
                              defaultValue: defaultValue?.trimmingSpaces, keywordOnly: keywordOnly))
      if kind.isVariadic { keywordOnly = true }
    }
    return result
  }
}

/// A converted argument value, as the bindings hand it over.
public enum OperationValue: @unchecked Sendable {
  case none
  case tensor(Tensor)
  case tensors([Tensor])
  case int(Int)
  case float(Double)
  case bool(Bool)
  case ints([Int])
  case string(String)
}

/// The arguments of one call, read by position with the type the signature promises.
public struct OperationArguments {
  public let operation: String
  let values: [OperationValue]

  init(_ op: Operation, _ values: [OperationValue]) throws {
    guard values.count == op.parameters.count else {
      throw SGError.type("\(op.name)() takes \(op.parameters.count) arguments, \(values.count) given")
    }
    operation = op.name
    self.values = values
  }

  private func mismatch(_ i: Int, _ expected: String) -> SGError {
    .type("\(operation)(): argument \(i) must be \(expected), got \(values[i])")
  }

  public func tensor(_ i: Int) throws -> Tensor {
    guard case .tensor(let t) = values[i] else { throw mismatch(i, "a tensor") }
    return t
  }
  public func optionalTensor(_ i: Int) throws -> Tensor? {
    if case .none = values[i] { return nil }
    return try tensor(i)
  }
  public func tensors(_ i: Int) throws -> [Tensor] {
    guard case .tensors(let ts) = values[i] else { throw mismatch(i, "a sequence of tensors") }
    return ts
  }
  public func int(_ i: Int) throws -> Int {
    switch values[i] {
    case .int(let v): return v
    case .bool(let b): return b ? 1 : 0
    default: throw mismatch(i, "an integer")
    }
  }
  public func optionalInt(_ i: Int) throws -> Int? {
    if case .none = values[i] { return nil }
    return try int(i)
  }
  public func float(_ i: Int) throws -> Double {
    switch values[i] {
    case .float(let v): return v
    case .int(let v): return Double(v)
    default: throw mismatch(i, "a number")
    }
  }
  public func optionalFloat(_ i: Int) throws -> Double? {
    if case .none = values[i] { return nil }
    return try float(i)
  }
  public func bool(_ i: Int) throws -> Bool {
    switch values[i] {
    case .bool(let b): return b
    case .int(let v): return v != 0
    default: throw mismatch(i, "a bool")
    }
  }
  public func ints(_ i: Int) throws -> [Int] {
    switch values[i] {
    case .ints(let v): return v
    case .int(let v): return [v]
    default: throw mismatch(i, "an integer or a sequence of integers")
    }
  }
  /// nil for None: "every axis" for reductions.
  public func optionalInts(_ i: Int) throws -> [Int]? {
    if case .none = values[i] { return nil }
    return try ints(i)
  }
  public func string(_ i: Int) throws -> String {
    guard case .string(let s) = values[i] else { throw mismatch(i, "a string") }
    return s
  }
  public func optionalString(_ i: Int) throws -> String? {
    if case .string(let s) = values[i] { return s }
    return nil
  }
  public func dtype(_ i: Int) throws -> DType {
    let code = try int(i)
    guard let d = Int32(exactly: code).flatMap(DType.init(rawValue:)) else {
      throw SGError.type("\(operation)(): unknown dtype code \(code)")
    }
    return d
  }
  /// An int or a pair of ints as a pair (PyTorch's kernel sizes, strides, paddings).
  public func pair(_ i: Int) throws -> (Int, Int) {
    let values = try ints(i)
    guard values.count == 1 || values.count == 2 else {
      throw SGError.value("\(operation): expected an int or a pair of ints, got \(values)")
    }
    return (values[0], values[values.count - 1])
  }
  public func optionalPair(_ i: Int) throws -> (Int, Int)? {
    if case .none = values[i] { return nil }
    return try pair(i)
  }
  /// The raw value, for parameters of a union kind (`int|ints`, `float|str?`).
  public func value(_ i: Int) -> OperationValue { values[i] }
}

extension StringProtocol {
  var trimmingSpaces: String {
    String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
  }
  func splitOnce(_ separator: Character) -> (String, String?) {
    guard let i = firstIndex(of: separator) else { return (String(self), nil) }
    return (String(self[..<i]), String(self[index(after: i)...]))
  }
}
