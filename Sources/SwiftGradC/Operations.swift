// swift-format-ignore-file: AlwaysUseLowerCamelCase
// (the C ABI keeps the snake_case names of include/swiftgrad.h)
import SwiftGrad

#if canImport(Glibc)
  import Glibc
#endif

// The operation table through the C ABI (Note [One op table]): descriptions to build bindings
// from, and three entry points that run any operation. Declared in include/swiftgrad.h.

/// The table's strings as C strings that live as long as the process (the table never changes).
private struct CStrings {
  let name, doc, namespace, signature: UnsafeMutablePointer<CChar>
  let method: UnsafeMutablePointer<CChar>?
  let parameterNames, parameterAliases: [UnsafeMutablePointer<CChar>]
  let parameterDefaults: [UnsafeMutablePointer<CChar>?]

  init(_ op: Operation) {
    name = strdup(op.name)
    doc = strdup(op.doc)
    namespace = strdup(op.namespace.rawValue)
    signature = strdup(op.signature)
    method = op.method.map { strdup($0) }
    parameterNames = op.parameters.map { strdup($0.name) }
    parameterAliases = op.parameters.map { strdup($0.aliases.joined(separator: "|")) }
    parameterDefaults = op.parameters.map { p in p.defaultValue.map { strdup($0) } }
  }
}

private let cStrings: [CStrings] = Operation.all.map(CStrings.init)
private let kindSpellings: [UnsafeMutablePointer<CChar>] = Parameter.Kind.allCases.map { strdup($0.spelling) }

private func operation(_ op: Int32) -> Operation? {
  Operation.all.indices.contains(Int(op)) ? Operation.all[Int(op)] : nil
}
private func parameter(_ op: Int32, _ j: Int32) -> Parameter? {
  guard let o = operation(op), o.parameters.indices.contains(Int(j)) else { return nil }
  return o.parameters[Int(j)]
}

@_cdecl("sg_op_count") public func sg_op_count() -> Int32 { Int32(Operation.all.count) }
/// -1 when there is no such operation.
@_cdecl("sg_op_find") public func sg_op_find(_ name: UnsafePointer<CChar>?) -> Int32 {
  guard let name, let i = Operation.number(of: String(cString: name)) else { return -1 }
  return Int32(i)
}
@_cdecl("sg_op_name") public func sg_op_name(_ op: Int32) -> UnsafePointer<CChar>? {
  operation(op) == nil ? nil : UnsafePointer(cStrings[Int(op)].name)
}
@_cdecl("sg_op_doc") public func sg_op_doc(_ op: Int32) -> UnsafePointer<CChar>? {
  operation(op) == nil ? nil : UnsafePointer(cStrings[Int(op)].doc)
}
/// Python's text signature, e.g. "(a, axis=None, keepdims=False)".
@_cdecl("sg_op_signature") public func sg_op_signature(_ op: Int32) -> UnsafePointer<CChar>? {
  operation(op) == nil ? nil : UnsafePointer(cStrings[Int(op)].signature)
}
@_cdecl("sg_op_namespace") public func sg_op_namespace(_ op: Int32) -> UnsafePointer<CChar>? {
  operation(op) == nil ? nil : UnsafePointer(cStrings[Int(op)].namespace)
}
/// NULL when the operation is not also a Tensor method.
@_cdecl("sg_op_method") public func sg_op_method(_ op: Int32) -> UnsafePointer<CChar>? {
  operation(op) == nil ? nil : cStrings[Int(op)].method.map { UnsafePointer($0) }
}
/// 0 unary, 1 binary, 2 general; -1 for a bad number.
@_cdecl("sg_op_family") public func sg_op_family(_ op: Int32) -> Int32 {
  switch operation(op)?.body {
  case .unary?: return 0
  case .binary?: return 1
  case .general?: return 2
  case nil: return -1
  }
}
@_cdecl("sg_op_result") public func sg_op_result(_ op: Int32) -> Int32 { operation(op)?.result.rawValue ?? -1 }
@_cdecl("sg_op_differentiable") public func sg_op_differentiable(_ op: Int32) -> Int32 {
  operation(op)?.isDifferentiable == true ? 1 : 0
}
@_cdecl("sg_op_parameter_count") public func sg_op_parameter_count(_ op: Int32) -> Int32 {
  Int32(operation(op)?.parameters.count ?? -1)
}
@_cdecl("sg_op_parameter_name") public func sg_op_parameter_name(_ op: Int32, _ j: Int32) -> UnsafePointer<CChar>? {
  parameter(op, j) == nil ? nil : UnsafePointer(cStrings[Int(op)].parameterNames[Int(j)])
}
/// Other accepted keyword spellings, separated by '|' (empty when none).
@_cdecl("sg_op_parameter_aliases") public func sg_op_parameter_aliases(_ op: Int32,
  _ j: Int32) -> UnsafePointer<CChar>? {
  parameter(op, j) == nil ? nil : UnsafePointer(cStrings[Int(op)].parameterAliases[Int(j)])
}
/// SG_KIND_* code; -1 for bad numbers.
@_cdecl("sg_op_parameter_kind") public func sg_op_parameter_kind(_ op: Int32, _ j: Int32) -> Int32 {
  parameter(op, j)?.kind.rawValue ?? -1
}
/// The default as a Python literal, or NULL when the argument is required.
@_cdecl("sg_op_parameter_default") public func sg_op_parameter_default(_ op: Int32,
  _ j: Int32) -> UnsafePointer<CChar>? {
  parameter(op, j) == nil ? nil : cStrings[Int(op)].parameterDefaults[Int(j)].map { UnsafePointer($0) }
}
@_cdecl("sg_op_parameter_keyword_only") public func sg_op_parameter_keyword_only(_ op: Int32, _ j: Int32) -> Int32 {
  parameter(op, j)?.keywordOnly == true ? 1 : 0
}
@_cdecl("sg_kind_spelling") public func sg_kind_spelling(_ kind: Int32) -> UnsafePointer<CChar>? {
  kindSpellings.indices.contains(Int(kind)) ? UnsafePointer(kindSpellings[Int(kind)]) : nil
}

// MARK: Running operations

// Per-operation call counts, kept only while switched on: the coverage test runs the op test
// table with counting on to check that every operation of the table is exercised. Off, a call
// pays one read of a flag. Not for concurrent use while on (plain counters).
nonisolated(unsafe) private var countingCalls = false
nonisolated(unsafe) private var callCounts = [Int64](repeating: 0, count: Operation.all.count)

@inline(__always) private func noteCall(_ op: Int32) {
  if countingCalls, callCounts.indices.contains(Int(op)) { callCounts[Int(op)] &+= 1 }
}

/// Switches counting on or off (resetting the counts when switched on); returns the old setting.
@_cdecl("sg_op_count_calls") public func sg_op_count_calls(_ on: Int32) -> Int32 {
  let old = countingCalls
  if on != 0 && !old { callCounts = [Int64](repeating: 0, count: Operation.all.count) }
  countingCalls = on != 0
  return old ? 1 : 0
}
@_cdecl("sg_op_calls") public func sg_op_calls(_ op: Int32) -> Int64 {
  callCounts.indices.contains(Int(op)) ? callCounts[Int(op)] : 0
}

/// The unary and binary bodies of the table with their names, read once: a call then copies one
/// closure, not a whole `Operation` (its strings and arrays cost a retain and a release each).
private struct DirectBody {
  let name: String
  let unary: ((Tensor) throws -> Tensor)?
  let binary: ((Tensor, Tensor) throws -> Tensor)?
}
private let directBodies: [DirectBody] = Operation.all.map { o in
  switch o.body {
  case .unary(let f): return DirectBody(name: o.name, unary: f, binary: nil)
  case .binary(let f): return DirectBody(name: o.name, unary: nil, binary: f)
  default: return DirectBody(name: o.name, unary: nil, binary: nil)
  }
}

@_cdecl("sg_op_unary") public func sg_op_unary(_ op: Int32, _ o: OutHandle?, _ a: Handle?) -> Int32 {
  noteCall(op)
  return guarded {
    guard let o else { throw SGError.value("null output pointer") }
    guard let a else { throw SGError.value("null tensor handle for argument 0") }
    guard directBodies.indices.contains(Int(op)), let f = directBodies[Int(op)].unary else {
      throw SGError.value("operation \(op) is not unary")
    }
    let x = tensor(a)
    let result = Autocast.dtype == nil ? try f(x) : try f(Autocast.operand(directBodies[Int(op)].name, x))
    o.pointee = retained(result)
  }
}

@_cdecl("sg_op_binary") public func sg_op_binary(_ op: Int32, _ o: OutHandle?, _ a: Handle?, _ b: Handle?) -> Int32 {
  noteCall(op)
  return guarded {
    guard let o else { throw SGError.value("null output pointer") }
    guard let a else { throw SGError.value("null tensor handle for argument 0") }
    guard let b else { throw SGError.value("null tensor handle for argument 1") }
    guard directBodies.indices.contains(Int(op)), let f = directBodies[Int(op)].binary else {
      throw SGError.value("operation \(op) is not binary")
    }
    let x = tensor(a), y = tensor(b)
    let result: Tensor
    if Autocast.dtype == nil {
      result = try f(x, y)
    } else {
      let name = directBodies[Int(op)].name
      result = try f(Autocast.operand(name, x), Autocast.operand(name, y))
    }
    o.pointee = retained(result)
  }
}

/// One `sg_value` (include/swiftgrad.h): kind, integer (a value or a count), real, pointer.
private func decodeValue(_ p: UnsafeRawPointer) throws -> OperationValue {
  let kind = p.load(fromByteOffset: 0, as: Int64.self)
  let integer = p.load(fromByteOffset: 8, as: Int64.self)
  let real = p.load(fromByteOffset: 16, as: Double.self)
  let pointer = p.load(fromByteOffset: 24, as: UnsafeRawPointer?.self)
  switch kind {
  case 0: return .none
  case 1:
    guard let pointer else { throw SGError.value("null tensor handle in an argument") }
    return .tensor(tensor(UnsafeMutableRawPointer(mutating: pointer)))
  case 2:
    guard integer >= 0, integer <= Int64(Int32.max) else { throw SGError.value("bad tensor count \(integer)") }
    return .tensors(try handles(pointer?.assumingMemoryBound(to: Handle?.self), Int32(integer), "tensors"))
  case 3: return .int(Int(integer))
  case 4: return .float(real)
  case 5: return .bool(integer != 0)
  case 6:
    guard integer >= 0, integer <= Int64(Int32.max) else { throw SGError.value("bad integer count \(integer)") }
    return .ints(try intArray(pointer?.assumingMemoryBound(to: Int64.self), Int32(integer), "integers"))
  case 7:
    guard let pointer else { throw SGError.value("null string in an argument") }
    return .string(String(cString: pointer.assumingMemoryBound(to: CChar.self)))
  default: throw SGError.value("unknown argument kind \(kind)")
  }
}

/// Runs operation `op` on `n` values. Results go to `outs` when at most `capacity` of them,
/// else to a malloc'ed array in `*heap` (free it with sg_free); `*count` is their number.
@_cdecl("sg_op_call")
public func sg_op_call(
  _ op: Int32, _ values: UnsafeRawPointer?, _ n: Int32, _ outs: UnsafeMutablePointer<Handle?>?, _ capacity: Int64,
  _ heap: UnsafeMutablePointer<UnsafeMutablePointer<Handle?>?>?, _ count: UnsafeMutablePointer<Int64>?
) -> Int32 {
  noteCall(op)
  return guarded {
    guard let o = operation(op) else { throw SGError.value("no operation number \(op)") }
    guard let count, let heap, n >= 0, n == 0 || values != nil else { throw SGError.value("null argument") }
    let decoded = try (0..<Int(n)).map { try decodeValue(values! + 32 * $0) }
    let results = try o.call(Autocast.values(o.name, decoded))
    heap.pointee = nil
    var target = outs
    if results.count > capacity || outs == nil {
      guard let block = malloc(max(results.count, 1) * MemoryLayout<Handle?>.stride) else {
        throw SGError.memory("\(o.name): cannot allocate \(results.count) result handles")
      }
      target = block.bindMemory(to: Handle?.self, capacity: max(results.count, 1))
      heap.pointee = target
    }
    for (i, t) in results.enumerated() { target![i] = retained(t) }
    count.pointee = Int64(results.count)
  }
}

@_cdecl("sg_free") public func sg_free(_ p: UnsafeMutableRawPointer?) { free(p) }
