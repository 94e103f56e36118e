#if canImport(Glibc)
  import Glibc
#endif

/// A reference-counted block of memory that tensors view. Either owned (allocated here) or
/// borrowed from outside (a NumPy array), in which case `release` hands it back.
public final class Storage {
  public let data: UnsafeMutableRawPointer
  public let byteCount: Int
  /// Bumped by every in-place write; saved-tensor checks compare it.
  public var version: Int = 0
  /// Memory that must not be written: Python scalar constants (shared through a cache) and
  /// read-only NumPy arrays. In-place ops refuse it.
  public var isReadOnly = false
  private var release: (() -> Void)?
  private var isLarge = false
  /// Memory wrapped from someone else (a NumPy array, a DLPack capsule) that they may still see.
  public private(set) var isBorrowed = false

  /// Uninitialised memory, 16-byte aligned (malloc's own alignment: an aligned allocator costs
  /// more per op than any SIMD loop gains on small tensors).
  /// Throws MemoryError when malloc fails (Swift's own allocator would abort the process).
  public init(byteCount: Int) throws {
    self.byteCount = byteCount
    if byteCount >= LargeBuffers.minimumBytes {
      data = try LargeBuffers.allocate(byteCount)
      isLarge = true
    } else {
      guard let block = malloc(Swift.max(byteCount, 1)) else {
        throw SGError.memory("cannot allocate \(byteCount) bytes (out of memory)")
      }
      data = block
    }
    release = nil
  }

  /// Zero-copy wrap of memory someone else owns; `release` runs when the last view goes.
  public init(borrowing data: UnsafeMutableRawPointer, byteCount: Int, release: @escaping () -> Void) {
    self.data = data
    self.byteCount = byteCount
    self.release = release
    isBorrowed = true
  }

  /// Forgets the release callback of borrowed memory: the owner keeps it (a wrap that failed
  /// hands the buffer back to its caller, who releases it once).
  public func forgetRelease() { release = nil }

  deinit {
    if let release {
      release()
    } else if isLarge {
      LargeBuffers.recycle(data, byteCount)
    } else {
      free(data)
    }
  }
}
