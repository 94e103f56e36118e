// swift-format-ignore-file: AlwaysUseLowerCamelCase
// (the C ABI keeps the snake_case names of include/swiftgrad.h)
import SwiftGrad

// The batching transform's C ABI (declared in the "Batching (vmap)" block of
// include/swiftgrad.h). Python's `sg.vmap` orchestrates pytrees and axes with these; every
// batched computation happens in the core (Note [Batching levels]).

/// A fresh batching level, ordered with forward-mode levels.
@_cdecl("sg_vmap_new_level") public func sg_vmap_new_level() -> Int64 { Int64(Batching.newLevel()) }

/// The logical tensor for `x` mapped over `axis` at `level`.
@_cdecl("sg_vmap_make_batched")
public func sg_vmap_make_batched(_ o: OutHandle?, _ x: Handle?, _ axis: Int64, _ level: Int64) -> Int32 {
  produce(o, x) { try Batching.makeBatched($0[0], axis: Int(axis), level: Int(level)) }
}

/// The physical result of leaving `level`: batch axis at `outAxis` (`hasOutAxis` 0: None).
@_cdecl("sg_vmap_exit")
public func sg_vmap_exit(
  _ o: OutHandle?, _ x: Handle?, _ level: Int64, _ size: Int64, _ outAxis: Int64, _ hasOutAxis: Int32
) -> Int32 {
  produce(o, x) {
    try Batching.exit($0[0], level: Int(level), size: Int(size), outAxis: hasOutAxis != 0 ? Int(outAxis) : nil)
  }
}

/// Opens `level` (`size` examples, randomness 0 error / 1 different / 2 same) on this thread.
@_cdecl("sg_vmap_push")
public func sg_vmap_push(_ level: Int64, _ size: Int64, _ randomness: Int32) -> Int32 {
  guarded {
    guard let mode = Randomness(rawValue: randomness) else {
      throw SGError.value("vmap: randomness code \(randomness) is not 0 (error), 1 (different) or 2 (same)")
    }
    guard size >= 0 else { throw SGError.value("vmap: negative axis size \(size)") }
    Batching.push(level: Int(level), size: Int(size), randomness: mode)
  }
}

/// Closes the innermost level opened by `sg_vmap_push`.
@_cdecl("sg_vmap_pop") public func sg_vmap_pop() { Batching.pop() }

/// The newest batching level of `x`, or -1 when it is not batched.
@_cdecl("sg_vmap_level") public func sg_vmap_level(_ x: Handle?) -> Int64 {
  guard let x else { return -1 }
  return Int64(tensor(x).batch?.level ?? -1)
}
