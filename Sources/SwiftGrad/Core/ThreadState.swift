#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Per-thread state: grad mode (PyTorch's `no_grad` is thread-local) and the C ABI's last
/// error. Kept in a pthread key so no Foundation is needed.
final class ThreadState {
  var gradEnabled = true
  var anomalyDetection = false
  /// NUL-terminated; owned here and valid until the next error on this thread.
  var lastErrorMessage: UnsafeMutablePointer<CChar>?
  var lastErrorKind: Int32 = 0
  /// Graph mode: the recorder that `apply` appends to (Note [Recording a graph]).
  var recorder: ProgramRecorder?
  /// The `vmap` levels open on this thread, innermost last (randomness and custom rules read them).
  var batchFrames: [BatchFrame] = []
  /// The levels whose batching rules are running, innermost last.
  var ruleLevels: [Int] = []
  /// `sg.autocast`'s dtype on this thread (nil: off; Note [Autocast]).
  var autocastDType: DType?

  deinit { lastErrorMessage?.deallocate() }

  static var current: ThreadState {
    if let raw = pthread_getspecific(threadStateKey) {
      return Unmanaged<ThreadState>.fromOpaque(raw).takeUnretainedValue()
    }
    let state = ThreadState()
    pthread_setspecific(threadStateKey, Unmanaged.passRetained(state).toOpaque())
    return state
  }

  /// Reads this thread's state without retaining it (the thread's key keeps it alive): the
  /// per-op reads of grad mode and autocast otherwise cost a retain and a release each.
  @inline(__always) static func read<R>(_ body: (ThreadState) -> R) -> R {
    if let raw = pthread_getspecific(threadStateKey) {
      return Unmanaged<ThreadState>.fromOpaque(raw)._withUnsafeGuaranteedRef(body)
    }
    return body(current)
  }
}

private let threadStateKey: pthread_key_t = {
  var key = pthread_key_t()
  pthread_key_create(&key) { raw in
    if let raw { Unmanaged<ThreadState>.fromOpaque(raw).release() }
  }
  return key
}()

/// Whether operations are recorded for reverse mode on this thread.
public enum GradMode {
  public static var isEnabled: Bool {
    get { ThreadState.read { $0.gradEnabled } }
    set { ThreadState.current.gradEnabled = newValue }
  }

  /// Runs `body` with recording switched on or off, restoring the previous mode afterwards.
  public static func with<R>(enabled: Bool, _ body: () throws -> R) rethrows -> R {
    let state = ThreadState.current
    let saved = state.gradEnabled
    state.gradEnabled = enabled
    defer { state.gradEnabled = saved }
    return try body()
  }
}

/// `detect_anomaly`: backward checks every cotangent for NaN/inf and names the op that made it.
public enum AnomalyMode {
  public static var isEnabled: Bool {
    get { ThreadState.read { $0.anomalyDetection } }
    set { ThreadState.current.anomalyDetection = newValue }
  }
}

/// Runs `body` without recording (PyTorch's `torch.no_grad()`).
public func withoutGrad<R>(_ body: () throws -> R) rethrows -> R {
  try GradMode.with(enabled: false, body)
}

/// The C ABI's thread-local "last error": set when an entry point fails, read right after.
public enum LastError {
  public static func set(kind: Int32, message: String) {
    let state = ThreadState.current
    state.lastErrorMessage?.deallocate()
    let utf8 = Array(message.utf8CString)
    let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
    buffer.initialize(from: utf8, count: utf8.count)
    state.lastErrorMessage = buffer
    state.lastErrorKind = kind
  }
  public static var kind: Int32 { ThreadState.current.lastErrorKind }
  public static var message: UnsafePointer<CChar>? { UnsafePointer(ThreadState.current.lastErrorMessage) }
}
