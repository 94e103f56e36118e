#if canImport(Glibc)
  import Glibc
#endif

/// Note [Large buffers]: a fresh 32 MB buffer costs thousands of page faults, each zeroing a
/// page, before a loop can write it; profiles of a 4M-element expression and its gradient spent
/// a third of their time in the kernel's `clear_page`. Two remedies:
/// - for buffers of at least `hugePageBytes`, transparent huge pages are requested (as NumPy
///   does for arrays of 4 MiB and more), so a first touch faults in 2 MiB at a time;
/// - freed buffers of at least `minimumBytes` are kept in a small cache and handed out again
///   for a request of the same size (eager code allocates the same shapes over and over: every
///   training step, every backward pass). The cache holds at most `SWIFTGRAD_CACHE_MB` MiB in
///   all (default 256; 0 turns it off), whatever the block sizes, and frees its oldest blocks
///   first. Buffers come back uninitialised, as from malloc.
/// `minimumBytes` is glibc's mmap threshold (128 KiB): malloc serves larger blocks with fresh
/// mappings that fault on every first touch and are unmapped again by free. Batched code
/// (vmap of a gradient, mid-size elementwise ops) allocates many blocks of 128 KiB to 1 MiB; a
/// 1 MiB threshold left a fifth of a per-sample-gradient step in page faults.
enum LargeBuffers {
  static let minimumBytes = 128 << 10
  static let hugePageBytes = 1 << 20

  static let capacity: Int = {
    if let raw = getenv("SWIFTGRAD_CACHE_MB"), let megabytes = Int(String(cString: raw)), megabytes >= 0 {
      return megabytes << 20
    }
    return 256 << 20
  }()

  private static let lock: UnsafeMutablePointer<pthread_mutex_t> = {
    let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    pthread_mutex_init(m, nil)
    return m
  }()
  /// Oldest first.
  private static var cached: [(byteCount: Int, data: UnsafeMutableRawPointer)] = []
  private static var cachedBytes = 0

  static func allocate(_ byteCount: Int) throws -> UnsafeMutableRawPointer {
    if let reused = take(byteCount) { return reused }
    // A failed allocation may be retried once the cache has handed its blocks back.
    guard let data = malloc(byteCount) ?? { emptyCache(); return malloc(byteCount) }() else {
      throw SGError.memory("cannot allocate \(byteCount) bytes (out of memory)")
    }
    if byteCount >= hugePageBytes { adviseHugePages(data, byteCount) }
    return data
  }

  static func recycle(_ data: UnsafeMutableRawPointer, _ byteCount: Int) {
    guard byteCount <= capacity else { return free(data) }
    var evicted: [UnsafeMutableRawPointer] = []
    pthread_mutex_lock(lock)
    while cachedBytes + byteCount > capacity, !cached.isEmpty {
      let oldest = cached.removeFirst()
      cachedBytes -= oldest.byteCount
      evicted.append(oldest.data)
    }
    cached.append((byteCount, data))
    cachedBytes += byteCount
    pthread_mutex_unlock(lock)
    for block in evicted { free(block) }
  }

  /// Frees every cached block (for memory measurements and tests).
  static func emptyCache() {
    pthread_mutex_lock(lock)
    let blocks = cached
    cached.removeAll()
    cachedBytes = 0
    pthread_mutex_unlock(lock)
    for block in blocks { block.data.deallocate() }
  }

  static var cachedByteCount: Int {
    pthread_mutex_lock(lock)
    defer { pthread_mutex_unlock(lock) }
    return cachedBytes
  }

  private static func take(_ byteCount: Int) -> UnsafeMutableRawPointer? {
    pthread_mutex_lock(lock)
    defer { pthread_mutex_unlock(lock) }
    guard let index = cached.lastIndex(where: { $0.byteCount == byteCount }) else { return nil }
    cachedBytes -= byteCount
    return cached.remove(at: index).data
  }

  private static func adviseHugePages(_ data: UnsafeMutableRawPointer, _ byteCount: Int) {
    #if os(Linux)
      let page = 4096
      let start = (Int(bitPattern: data) + page - 1) & ~(page - 1)
      let end = (Int(bitPattern: data) + byteCount) & ~(page - 1)
      if end > start, let aligned = UnsafeMutableRawPointer(bitPattern: start) {
        _ = madvise(aligned, end - start, 14)  // MADV_HUGEPAGE; failure only costs speed
      }
    #endif
  }
}
