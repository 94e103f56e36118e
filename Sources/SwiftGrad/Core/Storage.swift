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
  private let release: (() -> Void)?

  /// Uninitialised memory, 16-byte aligned (malloc's own alignment: an aligned allocator costs
  /// more per op than any SIMD loop gains on small tensors).
  public init(byteCount: Int) {
    self.byteCount = byteCount
    // Plain malloc alignment also for large buffers: glibc then recycles freed blocks of up to
    // 32 MiB from its heap instead of mapping (and faulting in) fresh pages every time, which
    // made a 4M-element multiply 2x slower when buffers were over-aligned.
    data = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 16)
    release = nil
  }

  /// Zero-copy wrap of memory someone else owns; `release` runs when the last view goes.
  public init(borrowing data: UnsafeMutableRawPointer, byteCount: Int, release: @escaping () -> Void) {
    self.data = data
    self.byteCount = byteCount
    self.release = release
  }

  deinit {
    if let release { release() } else { data.deallocate() }
  }
}
