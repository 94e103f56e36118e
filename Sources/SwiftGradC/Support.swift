import SwiftGrad

/// Handles are retained `Tensor` references passed as `void *` (see include/swiftgrad.h).
public typealias Handle = UnsafeMutableRawPointer
public typealias OutHandle = UnsafeMutablePointer<Handle?>

@inline(__always) func tensor(_ h: Handle) -> Tensor {
  Unmanaged<Tensor>.fromOpaque(h).takeUnretainedValue()
}

@inline(__always) func retained(_ t: Tensor) -> Handle { Unmanaged.passRetained(t).toOpaque() }

/// Runs `body`, turning a thrown error into a status code and the thread's last error.
@inline(__always) func guarded(_ body: () throws -> Void) -> Int32 {
  do {
    try body()
    return 0
  } catch let error as SGError {
    LastError.set(kind: error.kind.rawValue, message: error.message)
    return error.kind.rawValue
  } catch {
    LastError.set(kind: SGError.Kind.runtime.rawValue, message: "\(error)")
    return SGError.Kind.runtime.rawValue
  }
}

/// Validates the handles and the out-pointer, runs `body`, stores a new handle in `out`.
@inline(__always) func produce(_ out: OutHandle?, _ inputs: Handle?..., body: ([Tensor]) throws -> Tensor) -> Int32 {
  guarded {
    guard let out else { throw SGError.value("null output pointer") }
    var tensors: [Tensor] = []
    tensors.reserveCapacity(inputs.count)
    for (i, h) in inputs.enumerated() {
      guard let h else { throw SGError.value("null tensor handle for argument \(i)") }
      tensors.append(tensor(h))
    }
    out.pointee = retained(try body(tensors))
  }
}

/// Reads `count` int64 values (a shape, axes, ...) from C, validating the pointer.
func intArray(_ p: UnsafePointer<Int64>?, _ count: Int32, _ what: String) throws -> [Int] {
  guard count >= 0 else { throw SGError.value("negative \(what) length \(count)") }
  guard count == 0 || p != nil else { throw SGError.value("null \(what) pointer") }
  return (0..<Int(count)).map { Int(p![$0]) }
}

func dtype(_ raw: Int32) throws -> DType {
  guard let d = DType(rawValue: raw) else { throw SGError.type("unknown dtype code \(raw)") }
  return d
}

func handles(_ p: UnsafePointer<Handle?>?, _ count: Int32, _ what: String) throws -> [Tensor] {
  guard count >= 0, count == 0 || p != nil else { throw SGError.value("bad \(what) array") }
  return try (0..<Int(count)).map { i in
    guard let h = p![i] else { throw SGError.value("null tensor handle in \(what)[\(i)]") }
    return tensor(h)
  }
}
