#if canImport(Glibc)
  import Glibc
#endif

/// Splits large elementwise loops across the machine's cores with a small persistent pool of
/// pthreads (no Dispatch, no Foundation). Loops under `minimumParallelCount` elements, and calls
/// made while the pool is busy (another thread is using it), run on the calling thread: small
/// tensors never pay for synchronisation.
enum Parallel {
  static let minimumParallelCount = 1 << 16

  /// Runs `body` over `0..<count` in contiguous chunks, possibly concurrently.
  @inline(__always)
  static func forChunks(_ count: Int, minimumCount: Int = minimumParallelCount, _ body: (Range<Int>) -> Void) {
    guard count >= minimumCount, let pool = Pool.shared, pool.tryAcquire() else {
      body(0..<count)
      return
    }
    withoutActuallyEscaping(body) { escapable in pool.run(count, escapable) }
  }

  final class Pool {
    /// SWIFTGRAD_NUM_THREADS caps the threads used (1: everything on the calling thread).
    static let shared: Pool? = {
      var threads = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
      if let raw = getenv("SWIFTGRAD_NUM_THREADS"), let requested = Int(String(cString: raw)), requested >= 1 {
        threads = Swift.min(threads, requested)
      }
      return threads > 1 ? Pool(workers: Swift.min(threads, 8) - 1) : nil
    }()

    private let workers: Int
    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()
    private var done = pthread_cond_t()
    private var busy = pthread_mutex_t()
    private var generation = 0
    private var pending = 0
    private var job: ((Range<Int>) -> Void)?
    private var count = 0

    private init(workers: Int) {
      self.workers = workers
      pthread_mutex_init(&mutex, nil)
      pthread_mutex_init(&busy, nil)
      pthread_cond_init(&wake, nil)
      pthread_cond_init(&done, nil)
      for index in 0..<workers {
        let context = Unmanaged.passRetained(WorkerContext(pool: self, index: index + 1)).toOpaque()
        var thread = pthread_t()
        pthread_create(&thread, nil, { raw in
          let context = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
          context.pool.workerLoop(index: context.index)
          return nil
        }, context)
        pthread_detach(thread)
      }
    }

    func tryAcquire() -> Bool { pthread_mutex_trylock(&busy) == 0 }

    /// The chunk of `0..<count` that participant `index` (0 = caller) handles.
    private func chunk(_ index: Int, of count: Int) -> Range<Int> {
      let parts = workers + 1
      let size = (count + parts - 1) / parts
      return Swift.min(index * size, count)..<Swift.min((index + 1) * size, count)
    }

    func run(_ count: Int, _ body: @escaping (Range<Int>) -> Void) {
      pthread_mutex_lock(&mutex)
      job = body
      self.count = count
      pending = workers
      generation += 1
      pthread_cond_broadcast(&wake)
      pthread_mutex_unlock(&mutex)
      body(chunk(0, of: count))
      pthread_mutex_lock(&mutex)
      while pending > 0 { pthread_cond_wait(&done, &mutex) }
      job = nil
      pthread_mutex_unlock(&mutex)
      pthread_mutex_unlock(&busy)
    }

    fileprivate func workerLoop(index: Int) {
      var seen = 0
      while true {
        pthread_mutex_lock(&mutex)
        while generation == seen { pthread_cond_wait(&wake, &mutex) }
        seen = generation
        var body = job
        let range = chunk(index, of: count)
        pthread_mutex_unlock(&mutex)
        if let work = body, !range.isEmpty { work(range) }
        // Drop the job before reporting done: the caller's withoutActuallyEscaping checks
        // that no reference to its closure survives.
        body = nil
        pthread_mutex_lock(&mutex)
        pending -= 1
        if pending == 0 { pthread_cond_signal(&done) }
        pthread_mutex_unlock(&mutex)
      }
    }
  }

  private final class WorkerContext {
    let pool: Pool
    let index: Int
    init(pool: Pool, index: Int) {
      self.pool = pool
      self.index = index
    }
  }
}
