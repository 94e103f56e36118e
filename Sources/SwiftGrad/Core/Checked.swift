#if canImport(Glibc)
  import Glibc
#endif

// Note [Checked size arithmetic]
// Sizes, strides, offsets and counts that depend on user input are computed with Swift's
// overflow-reporting operations (`multipliedReportingOverflow` and friends, as the helpers below
// do), never with `*`/`+` (which trap on overflow and kill the host process). An element count or byte size that
// overflows Int64 is a ValueError ("does not
// fit in memory", as NumPy's "array is too big"); one that fits Int64 but exceeds the memory this
// process may allocate (physical memory, or RLIMIT_AS when set) is a MemoryError raised before
// any allocation, because Swift's allocator aborts the process when malloc fails.

/// The largest block one tensor may ask for: physical memory, or the address-space limit.
var allocationLimitBytes: Int {
  var limit = physicalMemoryBytes
  var rl = rlimit()
  if getrlimit(Int32(RLIMIT_AS.rawValue), &rl) == 0, rl.rlim_cur < UInt64(Int.max) {
    limit = Swift.min(limit, Int(rl.rlim_cur))
  }
  return limit
}

/// The element count of `shape`, or a ValueError when it overflows (negative dims refused too).
func checkedElementCount(_ shape: [Int], _ op: String) throws -> Int {
  var total = 1
  for d in shape {
    guard d >= 0 else { throw SGError.value("\(op): negative dimensions are not allowed (shape \(describe(shape)))") }
    let (p, overflow) = total.multipliedReportingOverflow(by: d)
    guard !overflow else { throw SGError.value("\(op): an array of shape \(describe(shape)) does not fit in memory") }
    total = p
  }
  return total
}

/// The byte size of a tensor of `shape`: a ValueError when it overflows, a MemoryError when it
/// exceeds what this process may allocate. Blocks under the huge-page size (1 MiB) skip the
/// limit lookup (a system call): malloc's own failure covers them.
func checkedByteCount(_ shape: [Int], itemSize: Int, _ op: String = "allocation") throws -> Int {
  var bytes = itemSize
  for d in shape {
    let (p, overflow) = bytes.multipliedReportingOverflow(by: d)
    guard d >= 0, !overflow else {
      if d < 0 { throw SGError.value("\(op): negative dimensions are not allowed (shape \(describe(shape)))") }
      throw SGError.value("\(op): an array of shape \(describe(shape)) does not fit in memory")
    }
    bytes = p
  }
  if bytes >= LargeBuffers.hugePageBytes {
    let limit = allocationLimitBytes
    guard bytes <= limit else {
      throw SGError.memory(
        "\(op): cannot allocate \(bytes) bytes for an array of shape \(describe(shape)) (limit \(limit) bytes)")
    }
  }
  return bytes
}
