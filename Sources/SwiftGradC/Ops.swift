import SwiftGrad

// The op table of the C ABI: one line per operation. Adding an op: add its line here, its
// declaration in include/swiftgrad.h, and its entry in the Python binding table
// (python/csrc/ops.c).

// MARK: Elementwise unary
@_cdecl("sg_neg") public func sg_neg(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try neg($0[0]) } }
@_cdecl("sg_exp") public func sg_exp(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try exp($0[0]) } }
@_cdecl("sg_log") public func sg_log(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try log($0[0]) } }
@_cdecl("sg_sin") public func sg_sin(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try sin($0[0]) } }
@_cdecl("sg_cos") public func sg_cos(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try cos($0[0]) } }
@_cdecl("sg_tan") public func sg_tan(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try tan($0[0]) } }
@_cdecl("sg_tanh") public func sg_tanh(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try tanh($0[0]) } }
@_cdecl("sg_sigmoid") public func sg_sigmoid(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try sigmoid($0[0]) } }
@_cdecl("sg_relu") public func sg_relu(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try relu($0[0]) } }
@_cdecl("sg_sqrt") public func sg_sqrt(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try sqrt($0[0]) } }
@_cdecl("sg_abs") public func sg_abs(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try abs($0[0]) } }
@_cdecl("sg_sign") public func sg_sign(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try sign($0[0]) } }
@_cdecl("sg_log1p") public func sg_log1p(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try log1p($0[0]) } }
@_cdecl("sg_expm1") public func sg_expm1(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try expm1($0[0]) } }
@_cdecl("sg_square") public func sg_square(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try square($0[0]) } }

// MARK: Elementwise binary
@_cdecl("sg_add") public func sg_add(_ o: OutHandle?, _ a: Handle?, _ b: Handle?) -> Int32 { produce(o, a, b) { try add($0[0], $0[1]) } }
@_cdecl("sg_sub") public func sg_sub(_ o: OutHandle?, _ a: Handle?, _ b: Handle?) -> Int32 { produce(o, a, b) { try sub($0[0], $0[1]) } }
@_cdecl("sg_mul") public func sg_mul(_ o: OutHandle?, _ a: Handle?, _ b: Handle?) -> Int32 { produce(o, a, b) { try mul($0[0], $0[1]) } }
@_cdecl("sg_div") public func sg_div(_ o: OutHandle?, _ a: Handle?, _ b: Handle?) -> Int32 { produce(o, a, b) { try div($0[0], $0[1]) } }
@_cdecl("sg_pow") public func sg_pow(_ o: OutHandle?, _ a: Handle?, _ b: Handle?) -> Int32 { produce(o, a, b) { try pow($0[0], $0[1]) } }
@_cdecl("sg_maximum") public func sg_maximum(_ o: OutHandle?, _ a: Handle?, _ b: Handle?) -> Int32 { produce(o, a, b) { try maximum($0[0], $0[1]) } }
@_cdecl("sg_minimum") public func sg_minimum(_ o: OutHandle?, _ a: Handle?, _ b: Handle?) -> Int32 { produce(o, a, b) { try minimum($0[0], $0[1]) } }
@_cdecl("sg_matmul") public func sg_matmul(_ o: OutHandle?, _ a: Handle?, _ b: Handle?) -> Int32 { produce(o, a, b) { try matmul($0[0], $0[1]) } }
@_cdecl("sg_equal") public func sg_equal(_ o: OutHandle?, _ a: Handle?, _ b: Handle?) -> Int32 { produce(o, a, b) { try equal($0[0], $0[1]) } }
@_cdecl("sg_not_equal") public func sg_not_equal(_ o: OutHandle?, _ a: Handle?, _ b: Handle?) -> Int32 { produce(o, a, b) { try notEqual($0[0], $0[1]) } }
@_cdecl("sg_less") public func sg_less(_ o: OutHandle?, _ a: Handle?, _ b: Handle?) -> Int32 { produce(o, a, b) { try less($0[0], $0[1]) } }
@_cdecl("sg_less_equal") public func sg_less_equal(_ o: OutHandle?, _ a: Handle?, _ b: Handle?) -> Int32 { produce(o, a, b) { try lessEqual($0[0], $0[1]) } }
@_cdecl("sg_greater") public func sg_greater(_ o: OutHandle?, _ a: Handle?, _ b: Handle?) -> Int32 { produce(o, a, b) { try greater($0[0], $0[1]) } }
@_cdecl("sg_greater_equal") public func sg_greater_equal(_ o: OutHandle?, _ a: Handle?, _ b: Handle?) -> Int32 { produce(o, a, b) { try greaterEqual($0[0], $0[1]) } }
@_cdecl("sg_where") public func sg_where(_ o: OutHandle?, _ c: Handle?, _ a: Handle?, _ b: Handle?) -> Int32 { produce(o, c, a, b) { try `where`($0[0], $0[1], $0[2]) } }

// MARK: Reductions (naxes < 0: all axes)
typealias Reduction = (Tensor, [Int]?, Bool) throws -> Tensor
func reduce(_ o: OutHandle?, _ a: Handle?, _ axes: UnsafePointer<Int64>?, _ n: Int32, _ keep: Int32, _ f: Reduction) -> Int32 {
  produce(o, a) { try f($0[0], n < 0 ? nil : intArray(axes, n, "axes"), keep != 0) }
}
@_cdecl("sg_sum") public func sg_sum(_ o: OutHandle?, _ a: Handle?, _ axes: UnsafePointer<Int64>?, _ n: Int32, _ keep: Int32) -> Int32 { reduce(o, a, axes, n, keep) { try sum($0, axes: $1, keepDims: $2) } }
@_cdecl("sg_mean") public func sg_mean(_ o: OutHandle?, _ a: Handle?, _ axes: UnsafePointer<Int64>?, _ n: Int32, _ keep: Int32) -> Int32 { reduce(o, a, axes, n, keep) { try mean($0, axes: $1, keepDims: $2) } }
@_cdecl("sg_max") public func sg_max(_ o: OutHandle?, _ a: Handle?, _ axes: UnsafePointer<Int64>?, _ n: Int32, _ keep: Int32) -> Int32 { reduce(o, a, axes, n, keep) { try max($0, axes: $1, keepDims: $2) } }
@_cdecl("sg_min") public func sg_min(_ o: OutHandle?, _ a: Handle?, _ axes: UnsafePointer<Int64>?, _ n: Int32, _ keep: Int32) -> Int32 { reduce(o, a, axes, n, keep) { try min($0, axes: $1, keepDims: $2) } }
@_cdecl("sg_prod") public func sg_prod(_ o: OutHandle?, _ a: Handle?, _ axes: UnsafePointer<Int64>?, _ n: Int32, _ keep: Int32) -> Int32 { reduce(o, a, axes, n, keep) { try prod($0, axes: $1, keepDims: $2) } }

// MARK: Shapes
@_cdecl("sg_reshape") public func sg_reshape(_ o: OutHandle?, _ a: Handle?, _ shape: UnsafePointer<Int64>?, _ n: Int32) -> Int32 {
  produce(o, a) { try reshape($0[0], intArray(shape, n, "shape")) }
}
/// n < 0: reverse the dimensions.
@_cdecl("sg_transpose") public func sg_transpose(_ o: OutHandle?, _ a: Handle?, _ perm: UnsafePointer<Int64>?, _ n: Int32) -> Int32 {
  produce(o, a) { try transpose($0[0], n < 0 ? nil : intArray(perm, n, "axes")) }
}
@_cdecl("sg_broadcast_to") public func sg_broadcast_to(_ o: OutHandle?, _ a: Handle?, _ shape: UnsafePointer<Int64>?, _ n: Int32) -> Int32 {
  produce(o, a) { try broadcastTo($0[0], intArray(shape, n, "shape")) }
}
@_cdecl("sg_expand_dims") public func sg_expand_dims(_ o: OutHandle?, _ a: Handle?, _ axis: Int64) -> Int32 {
  produce(o, a) { try expandDims($0[0], axis: Int(axis)) }
}
/// n < 0: squeeze every size-1 axis.
@_cdecl("sg_squeeze") public func sg_squeeze(_ o: OutHandle?, _ a: Handle?, _ axes: UnsafePointer<Int64>?, _ n: Int32) -> Int32 {
  produce(o, a) { try squeeze($0[0], axes: n < 0 ? nil : intArray(axes, n, "axes")) }
}
@_cdecl("sg_concatenate") public func sg_concatenate(_ o: OutHandle?, _ xs: UnsafePointer<Handle?>?, _ n: Int32, _ axis: Int64) -> Int32 {
  produce(o) { _ in try concatenate(handles(xs, n, "arrays"), axis: Int(axis)) }
}
@_cdecl("sg_stack") public func sg_stack(_ o: OutHandle?, _ xs: UnsafePointer<Handle?>?, _ n: Int32, _ axis: Int64) -> Int32 {
  produce(o) { _ in try stack(handles(xs, n, "arrays"), axis: Int(axis)) }
}
@_cdecl("sg_cast") public func sg_cast(_ o: OutHandle?, _ a: Handle?, _ d: Int32) -> Int32 { produce(o, a) { try cast($0[0], to: dtype(d)) } }
@_cdecl("sg_copy") public func sg_copy(_ o: OutHandle?, _ a: Handle?) -> Int32 { produce(o, a) { try copy($0[0]) } }

/// Basic indexing. Each item is 4 int64: kind (0 int, 1 slice, 2 None, 3 Ellipsis), then
/// start, stop, step (INT64_MIN for an omitted slice bound).
@_cdecl("sg_index") public func sg_index(_ o: OutHandle?, _ a: Handle?, _ items: UnsafePointer<Int64>?, _ n: Int32) -> Int32 {
  produce(o, a) { t in try index(t[0], decodeIndexItems(items, n)) }
}

/// Advanced indexing: items as for sg_index plus kind 4, an index array (integer or boolean):
/// `arrays[start]`.
@_cdecl("sg_index_advanced")
public func sg_index_advanced(
  _ o: OutHandle?, _ a: Handle?, _ items: UnsafePointer<Int64>?, _ n: Int32, _ arrays: UnsafePointer<Handle?>?, _ nArrays: Int32
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
@_cdecl("sg_inplace") public func sg_inplace(_ o: OutHandle?, _ target: Handle?, _ other: Handle?, _ op: Int32) -> Int32 {
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
@_cdecl("sg_setitem") public func sg_setitem(_ o: OutHandle?, _ target: Handle?, _ items: UnsafePointer<Int64>?, _ n: Int32, _ value: Handle?) -> Int32 {
  produce(o, target, value) { t in try InPlace.setIndex(t[0], decodeIndexItems(items, n), t[1]) }
}
