// swift-format-ignore-file: AlwaysUseLowerCamelCase
// (the C ABI keeps the snake_case names of include/swiftgrad.h)
import SwiftGrad

// Indexing and in-place writes: the Tensor protocol's entry points (`x[...]`, `x[...] = v`,
// `x += y`), which are not operations of the table. Declared in include/swiftgrad.h.

/// Basic indexing. Each item is 4 int64: kind (0 int, 1 slice, 2 None, 3 Ellipsis), then
/// start, stop, step (INT64_MIN for an omitted slice bound).
@_cdecl("sg_index") public func sg_index(_ o: OutHandle?, _ a: Handle?, _ items: UnsafePointer<Int64>?,
  _ n: Int32) -> Int32 {
  produce(o, a) { t in try index(t[0], decodeIndexItems(items, n)) }
}

/// Advanced indexing: items as for sg_index plus kind 4, an index array (integer or boolean):
/// `arrays[start]`.
@_cdecl("sg_index_advanced")
public func sg_index_advanced(
  _ o: OutHandle?, _ a: Handle?, _ items: UnsafePointer<Int64>?, _ n: Int32, _ arrays: UnsafePointer<Handle?>?,
  _ nArrays: Int32
) -> Int32 {
  produce(o, a) { t in try index(t[0], decodeAdvancedItems(items, n, arrays, nArrays)) }
}

@_cdecl("sg_setitem_advanced")
public func sg_setitem_advanced(
  _ o: OutHandle?, _ target: Handle?, _ items: UnsafePointer<Int64>?, _ n: Int32, _ arrays: UnsafePointer<Handle?>?,
  _ nArrays: Int32, _ value: Handle?
) -> Int32 {
  produce(o, target, value) { t in try InPlace.setIndex(t[0], decodeAdvancedItems(items, n, arrays, nArrays), t[1]) }
}

func decodeAdvancedItems(
  _ items: UnsafePointer<Int64>?, _ n: Int32, _ arrays: UnsafePointer<Handle?>?, _ nArrays: Int32
) throws -> [AdvancedIndexItem] {
  guard n >= 0 && n <= 1024 else { throw SGError.index("too many indices (\(n))") }
  let raw = try intArray(items, n * 4, "index items")
  let tensors = try handles(arrays, nArrays, "index arrays")
  return try (0..<Int(n)).map { i in
    guard raw[4 * i] == 4 else { return .basic(try decodeIndexItems(items! + 4 * i, 1)[0]) }
    guard raw[4 * i + 1] >= 0 && raw[4 * i + 1] < tensors.count else {
      throw SGError.index("index array \(raw[4 * i + 1]) out of range (\(tensors.count) given)")
    }
    return .array(tensors[raw[4 * i + 1]])
  }
}

func decodeIndexItems(_ items: UnsafePointer<Int64>?, _ n: Int32) throws -> [IndexItem] {
  guard n >= 0 && n <= 1024 else { throw SGError.index("too many indices (\(n))") }
  let raw = try intArray(items, n * 4, "index items")
  return try (0..<Int(n)).map { i in
    let (kind, a, b, c) = (raw[4 * i], raw[4 * i + 1], raw[4 * i + 2], raw[4 * i + 3])
    func opt(_ v: Int) -> Int? { v == Int(Int64.min) ? nil : v }
    switch kind {
    case 0: return .index(a)
    case 1: return .slice(start: opt(a), stop: opt(b), step: opt(c))
    case 2: return .newAxis
    case 3: return .ellipsis
    default: throw SGError.value("unknown index item kind \(kind)")
    }
  }
}

// MARK: In-place (the result handle stands for the target from now on; see InPlace.swift)
/// op: 0 add, 1 sub, 2 mul, 3 div.
@_cdecl("sg_inplace") public func sg_inplace(_ o: OutHandle?, _ target: Handle?, _ other: Handle?,
  _ op: Int32) -> Int32 {
  produce(o, target, other) { t in
    switch op {
    case 0: return try InPlace.update(t[0], t[1], opName: "add", readsTarget: false, add)
    case 1: return try InPlace.update(t[0], t[1], opName: "subtract", readsTarget: false, sub)
    case 2: return try InPlace.update(t[0], t[1], opName: "multiply", readsTarget: true, mul)
    case 3: return try InPlace.update(t[0], t[1], opName: "divide", readsTarget: false, div)
    default: throw SGError.value("unknown in-place op code \(op)")
    }
  }
}

/// `target[items] = value`, items encoded as for sg_index.
@_cdecl("sg_setitem") public func sg_setitem(_ o: OutHandle?, _ target: Handle?, _ items: UnsafePointer<Int64>?,
  _ n: Int32, _ value: Handle?) -> Int32 {
  produce(o, target, value) { t in try InPlace.setIndex(t[0], decodeIndexItems(items, n), t[1]) }
}
