// swift-format-ignore-file: AlwaysUseLowerCamelCase
// (the C ABI keeps the snake_case names of include/swiftgrad.h)
import SwiftGrad

#if canImport(Glibc)
  import Glibc
#endif

// Graph mode (include/swiftgrad.h, "Graph mode"): recorders and compiled graphs are retained
// Swift objects passed as opaque pointers, like tensors.

private func recorder(_ h: UnsafeMutableRawPointer?) throws -> ProgramRecorder {
  guard let h else { throw SGError.value("null graph recorder") }
  return Unmanaged<ProgramRecorder>.fromOpaque(h).takeUnretainedValue()
}

private func compiled(_ h: UnsafeMutableRawPointer?) throws -> CompiledProgram {
  guard let h else { throw SGError.value("null compiled graph") }
  return Unmanaged<CompiledProgram>.fromOpaque(h).takeUnretainedValue()
}

@_cdecl("sg_recorder_new")
public func sg_recorder_new(_ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32 {
  guarded {
    guard let out else { throw SGError.value("null output pointer") }
    out.pointee = Unmanaged.passRetained(ProgramRecorder()).toOpaque()
  }
}

@_cdecl("sg_recorder_free") public func sg_recorder_free(_ h: UnsafeMutableRawPointer?) {
  if let h { Unmanaged<ProgramRecorder>.fromOpaque(h).release() }
}

/// Starts (active != 0) or stops recording on the calling thread.
@_cdecl("sg_recorder_activate") public func sg_recorder_activate(_ h: UnsafeMutableRawPointer?,
  _ active: Int32) -> Int32 {
  guarded {
    let r = try recorder(h)
    if active != 0 { try r.begin() } else { try r.end() }
  }
}

@_cdecl("sg_recorder_add_input") public func sg_recorder_add_input(_ h: UnsafeMutableRawPointer?,
  _ t: Handle?) -> Int32 {
  guarded {
    guard let t else { throw SGError.value("null tensor handle") }
    try recorder(h).addInput(tensor(t))
  }
}

@_cdecl("sg_recorder_compile")
public func sg_recorder_compile(
  _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ h: UnsafeMutableRawPointer?,
  _ fetches: UnsafePointer<Handle?>?, _ count: Int32, _ optimize: Int32
) -> Int32 {
  guarded {
    guard let out else { throw SGError.value("null output pointer") }
    let r = try recorder(h)
    let ids = try handles(fetches, count, "fetches").map { try r.value(of: $0) }
    out.pointee = Unmanaged.passRetained(try CompiledProgram(r.graph, outputs: ids, optimize: optimize != 0)).toOpaque()
  }
}

@_cdecl("sg_compiled_free") public func sg_compiled_free(_ h: UnsafeMutableRawPointer?) {
  if let h { Unmanaged<CompiledProgram>.fromOpaque(h).release() }
}

@_cdecl("sg_compiled_num_outputs") public func sg_compiled_num_outputs(_ h: UnsafeMutableRawPointer?) -> Int32 {
  (try? compiled(h)).map { Int32($0.outputs.count) } ?? -1
}

/// Runs the graph: `recorded` 0 forward kernels only, 1 through autograd (differentiable
/// results), -1 whichever the inputs need (CompiledProgram.call).
@_cdecl("sg_compiled_run")
public func sg_compiled_run(
  _ h: UnsafeMutableRawPointer?, _ inputs: UnsafePointer<Handle?>?, _ count: Int32,
  _ outs: UnsafeMutablePointer<Handle?>?, _ capacity: Int32, _ recorded: Int32
) -> Int32 {
  guarded {
    let g = try compiled(h)
    guard let outs, Int(capacity) >= g.outputs.count else { throw SGError.value("output array too small") }
    let args = try handles(inputs, count, "inputs")
    let results = recorded < 0 ? try g.call(args) : recorded > 0 ? try g.runRecorded(args) : try g.run(args)
    for (i, t) in results.enumerated() { outs[i] = retained(t) }
  }
}

/// Text about the graph: 0 the pass report, 1 Graphviz DOT. Free it with sg_string_free.
@_cdecl("sg_compiled_text")
public func sg_compiled_text(_ h: UnsafeMutableRawPointer?, _ which: Int32,
  _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
  guarded {
    guard let out else { throw SGError.value("null output pointer") }
    let g = try compiled(h)
    let text: String
    switch which {
    case 0: text = g.passReport.map { "\($0.pass): \($0.effect)" }.joined(separator: "\n")
    case 1: text = g.graph.dot(outputs: g.outputs)
    default: throw SGError.value("unknown text kind \(which)")
    }
    out.pointee = strdup(text)
  }
}

@_cdecl("sg_string_free") public func sg_string_free(_ s: UnsafeMutablePointer<CChar>?) { free(s) }
