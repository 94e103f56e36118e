#if canImport(Glibc)
  import Glibc
#endif

/// The fields of a `Storage` (a `ManagedBuffer` keeps its fields in its header).
public struct StorageFields {
  fileprivate(set) var data: UnsafeMutableRawPointer
  fileprivate(set) var byteCount: Int
  var version = 0
  var isReadOnly = false
  fileprivate var release: (() -> Void)?
  fileprivate var isLarge = false
  fileprivate(set) var isBorrowed = false
}

/// A reference-counted block of memory that tensors view. Either owned (allocated here) or
/// borrowed from outside (a NumPy array), in which case `release` hands it back.
///
/// Note [Inline storage]: owned blocks below `LargeBuffers.minimumBytes` live in the object
/// itself (tail-allocated, as `ManagedBuffer` allows), so a fresh tensor costs one allocation
/// for its elements and bookkeeping instead of two; on a chain of small ops the allocator is a
/// large share of the time per op, and after another library's work it is the part whose cache
/// lines are cold. Larger blocks come from `LargeBuffers`; borrowed memory is only pointed to.
public final class Storage: ManagedBuffer<StorageFields, SIMD2<Double>> {
  // `SIMD2<Double>` elements: the inline block is 16-byte aligned, as malloc's blocks are.

  /// Uninitialised memory, 16-byte aligned (malloc's own alignment: an aligned allocator costs
  /// more per op than any SIMD loop gains on small tensors). Throws MemoryError when a large
  /// block cannot be had (Swift's own allocator would abort the process).
  public static func owned(byteCount: Int) throws -> Storage {
    if byteCount >= LargeBuffers.minimumBytes {
      let data = try LargeBuffers.allocate(byteCount)
      return make(inlineCount: 0, StorageFields(data: data, byteCount: byteCount, isLarge: true))
    }
    // Small blocks, as Swift's own objects, count on malloc not failing (Note [Checked size
    // arithmetic] checks the sizes that could make it fail before any allocation).
    let object = create(minimumCapacity: (byteCount + 15) / 16) { buffer in
      let inline = buffer.withUnsafeMutablePointerToElements { UnsafeMutableRawPointer($0) }
      return StorageFields(data: inline, byteCount: byteCount)
    }
    return unsafeDowncast(object, to: Storage.self)
  }

  /// Zero-copy wrap of memory someone else owns; `release` runs when the last view goes.
  public static func borrowing(
    _ data: UnsafeMutableRawPointer, byteCount: Int, release: @escaping () -> Void
  ) -> Storage {
    make(inlineCount: 0, StorageFields(data: data, byteCount: byteCount, release: release, isBorrowed: true))
  }

  private static func make(inlineCount: Int, _ fields: StorageFields) -> Storage {
    unsafeDowncast(create(minimumCapacity: inlineCount) { _ in fields }, to: Storage.self)
  }

  public var data: UnsafeMutableRawPointer { header.data }
  public var byteCount: Int { header.byteCount }
  /// Bumped by every in-place write; saved-tensor checks compare it.
  public var version: Int {
    get { header.version }
    set { header.version = newValue }
  }
  /// Memory that must not be written: Python scalar constants (shared through a cache) and
  /// read-only NumPy arrays. In-place ops refuse it.
  public var isReadOnly: Bool {
    get { header.isReadOnly }
    set { header.isReadOnly = newValue }
  }
  /// Memory wrapped from someone else (a NumPy array, a DLPack capsule) that they may still see.
  public var isBorrowed: Bool { header.isBorrowed }

  /// Forgets the release callback of borrowed memory: the owner keeps it (a wrap that failed
  /// hands the buffer back to its caller, who releases it once).
  public func forgetRelease() { header.release = nil }

  deinit {
    if let release = header.release {
      release()
    } else if header.isLarge {
      LargeBuffers.recycle(header.data, header.byteCount)
    }
  }
}
