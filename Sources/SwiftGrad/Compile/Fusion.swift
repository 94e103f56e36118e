/// Note [Elementwise fusion]: a run of elementwise unary/binary nodes over one shape and float
/// dtype becomes one loop. The group is evaluated block by block (256 elements): each member is
/// one pass of its scalar formula (`apply`, or eight-lane kernels) over the block, reading
/// external operands (full-shape inputs, or scalars) and block-sized registers, so nothing the
/// group makes internally is ever allocated at full size, and small tensors pay one allocation
/// for the whole chain instead of one per op. Registers are reused once their last reader ran.
///
/// Groups are formed in schedule order; a node joins the group of an input it reads, or the
/// latest group of its shape and dtype. A group runs where its last member stands, so the
/// moment anything outside the group reads one of its values, the group is sealed (nothing
/// later may join): that keeps every reader after the group's run and the schedule acyclic.
struct FusionPlan {
  /// Node indices per group (groups of two or more nodes only), in schedule order.
  var groups: [[Int]] = []

  init(_ graph: Program, outputs: [Int]) {
    var members: [[Int]] = []
    var sealed: [Bool] = []
    var groupOfValue: [Int: Int] = [:]
    var keys: [FusionKey] = []
    var latest: [FusionKey: Int] = [:]
    for (i, node) in graph.nodes.enumerated() {
      var joined: Int?
      if FusionPlan.isFusable(node, graph) {
        let value = graph.values[node.output]
        let key = FusionKey(shape: value.shape, dtype: value.dtype)
        // An input's group, else the latest open group of this shape: a group runs where its
        // last member stands, so any unsealed group can take a node (independent chains too).
        joined = node.inputs.lazy.compactMap { groupOfValue[$0] }.first { g in !sealed[g] && keys[g] == key }
          ?? latest[key].flatMap { sealed[$0] ? nil : $0 }
        if joined == nil {
          members.append([])
          sealed.append(false)
          keys.append(key)
          joined = members.count - 1
          latest[key] = joined
        }
      }
      for v in node.inputs { if let g = groupOfValue[v], g != joined { sealed[g] = true } }
      if let g = joined {
        members[g].append(i)
        groupOfValue[node.output] = g
      }
    }
    groups = members.filter { $0.count >= 2 }
  }

  /// Elementwise, float, and every operand either of the output's shape and dtype or a scalar.
  static func isFusable(_ node: Program.Node, _ graph: Program) -> Bool {
    guard node.primitive is any ElementwiseUnary || node.primitive is any ElementwiseBinary else { return false }
    let out = graph.values[node.output]
    guard out.dtype.isFloatingPoint, !out.dtype.isLowPrecision, !out.shape.contains(0) else { return false }
    return node.inputs.allSatisfy { v in
      let value = graph.values[v]
      if value.shape == out.shape { return value.dtype == out.dtype }
      return value.dtype.isFloatingPoint && value.shape.reduce(1, *) == 1
        && (node.primitive is any ElementwiseBinary)
    }
  }
}

enum BuiltinOp {
  case add, sub, mul, div, neg, square, exp, tanh, sin, cos, other

  init(_ p: any Primitive) {
    switch p {
    case is Add: self = .add
    case is Sub: self = .sub
    case is Mul: self = .mul
    case is Div: self = .div
    case is Neg: self = .neg
    case is Square: self = .square
    case is Exp: self = .exp
    case is Tanh: self = .tanh
    case is Sin: self = .sin
    case is Cos: self = .cos
    default: self = .other
    }
  }
}

struct FusionKey: Hashable {
  let shape: [Int]
  let dtype: DType
}

/// One fused group, compiled: the program and where its operands come from.
final class FusedGroup {
  enum Operand {
    case member(Int)  // index into the group's member values
    case external(Int)  // index into `externals`
  }
  struct Instruction {
    let kernel: Int  // index into the kernels
    let operands: [Operand]
  }

  let members: [Int]
  let shape: [Int]
  let dtype: DType
  /// Value ids read from outside the group, and those the group must materialise.
  let externals: [Int]
  let outputs: [Int]
  let memberValues: [Int]
  let program: [Instruction]
  /// Per member: the output slot it writes, or the register it lives in.
  let outputSlot: [Int?]
  let register: [Int]
  let registerCount: Int
  /// Per instruction: an op evaluated inline, or `.other` (its block loop closure).
  let builtinOps: [BuiltinOp]
  /// Per instruction: where its operands and its destination are (see `execute`).
  let operandLocations: [(first: Int, second: Int, destination: Int)]
  private let kernels: FusedKernels

  init?(members: [Int], graph: Program, readOutside: Set<Int>) {
    self.members = members
    let first = graph.values[graph.nodes[members[0]].output]
    shape = first.shape
    dtype = first.dtype
    let memberValues = members.map { graph.nodes[$0].output }
    self.memberValues = memberValues
    let memberIndex = Dictionary(uniqueKeysWithValues: memberValues.enumerated().map { ($1, $0) })
    var externals: [Int] = []
    var program: [Instruction] = []
    var lastRead = Array(repeating: -1, count: members.count)
    for (k, n) in members.enumerated() {
      let operands = graph.nodes[n].inputs.map { v -> Operand in
        if let m = memberIndex[v] {
          lastRead[m] = k
          return .member(m)
        }
        if let e = externals.firstIndex(of: v) { return .external(e) }
        externals.append(v)
        return .external(externals.count - 1)
      }
      program.append(Instruction(kernel: k, operands: operands))
    }
    self.externals = externals
    self.program = program
    let outputs = memberValues.filter(readOutside.contains)
    self.outputs = outputs
    let outputSlot = memberValues.map { outputs.firstIndex(of: $0) }
    self.outputSlot = outputSlot
    // Linear-scan register allocation: a register is free again after its value's last reader.
    var register = Array(repeating: -1, count: members.count)
    var free: [Int] = []
    var count = 0
    for k in members.indices {
      for m in 0..<k where outputSlot[m] == nil && lastRead[m] == k - 1 && register[m] >= 0 { free.append(register[m]) }
      guard outputSlot[k] == nil else { continue }
      if let r = free.popLast() { register[k] = r } else { register[k] = count; count += 1 }
    }
    self.register = register
    registerCount = count
    // Location ids: registers first, then externals, then output slots.
    func location(_ operand: Operand) -> Int {
      switch operand {
      case .member(let m): return outputSlot[m].map { count + externals.count + $0 } ?? register[m]
      case .external(let e): return count + e
      }
    }
    operandLocations = program.enumerated().map { k, instruction in
      (location(instruction.operands[0]),
        location(instruction.operands.count > 1 ? instruction.operands[1] : instruction.operands[0]),
       location(.member(k)))
    }
    let primitives = members.map { graph.nodes[$0].primitive }
    builtinOps = primitives.map(BuiltinOp.init)
    guard let kernels = dtype == .float32 ? FusedKernels(Float.self, primitives) : FusedKernels(Double.self, primitives)
    else { return nil }
    self.kernels = kernels
  }

  /// Runs the group on its external operands (same order as `externals`); returns `outputs`.
  func run(_ operands: [Tensor]) throws -> [Tensor] {
    let results = try outputs.map { _ in try Tensor(uninitializedShape: shape, dtype: dtype) }
    if dtype == .float32 {
      try execute(Float.self, operands, results)
    } else {
      try execute(Double.self, operands, results)
    }
    return results
  }

  private static let blockSize = 256

  private func execute<T: FloatElement>(_: T.Type, _ operands: [Tensor], _ results: [Tensor]) throws {
    let n = results.first?.count ?? shape.reduce(1, *)
    let dense = try operands.map { try $0.converted(to: dtype).densified() }
    let inputs = dense.map { (pointer: $0.pointer(T.self), isScalar: $0.count == 1 && n != 1) }
    let outputs = results.map { $0.pointer(T.self) }
    let table = kernels.table(T.self)
    // The raw pointers above point into `dense`: keep its copies alive until the loops are done.
    defer { withExtendedLifetime(dense) {} }
    // Large groups are split across the cores; each chunk has its own registers.
    Parallel.forChunks(n) { range in runChunk(range, inputs, outputs, table) }
  }

  /// Elements `range` of the group, block by block. Locations (see `operandLocations`):
  /// registers and spread scalars stay put, full-size inputs and outputs advance with the block.
  private func runChunk<T: FloatElement>(
    _ range: Range<Int>, _ inputs: [(pointer: UnsafeMutablePointer<T>, isScalar: Bool)],
    _ outputs: [UnsafeMutablePointer<T>], _ table: [BlockLoop<T>]
  ) {
    let block = FusedGroup.blockSize
    let scratch = UnsafeMutablePointer<T>.allocate(capacity: (registerCount + inputs.count) * block)
    defer { scratch.deallocate() }
    var bases = [UnsafeMutablePointer<T>](repeating: scratch, count: registerCount + inputs.count + outputs.count)
    var streams = [Bool](repeating: false, count: bases.count)
    for r in 0..<registerCount { bases[r] = scratch + r * block }
    for (e, input) in inputs.enumerated() {
      if input.isScalar {
        bases[registerCount + e] = scratch + (registerCount + e) * block
        bases[registerCount + e].initialize(repeating: input.pointer[0], count: block)
      } else {
        bases[registerCount + e] = input.pointer
        streams[registerCount + e] = true
      }
    }
    for (o, output) in outputs.enumerated() {
      bases[registerCount + inputs.count + o] = output
      streams[registerCount + inputs.count + o] = true
    }
    bases.withUnsafeBufferPointer { bases in
      streams.withUnsafeBufferPointer { streams in
        table.withUnsafeBufferPointer { table in
          operandLocations.withUnsafeBufferPointer { locations in
            builtinOps.withUnsafeBufferPointer { builtins in
            var start = range.lowerBound
            while start < range.upperBound {
              let length = Swift.min(block, range.upperBound - start)
              @inline(__always) func pointer(_ l: Int) -> UnsafeMutablePointer<T> {
                streams[l] ? bases[l] + start : bases[l]
              }
              for k in 0..<table.count {
                let w = locations[k]
                let (a, b, d) = (pointer(w.first), pointer(w.second), pointer(w.destination))
                // The commonest ops inline (a closure call per op and block costs more than a
                // 16-element loop); the same formulas as the primitives' `apply`.
                switch builtins[k] {
                case .add: for i in 0..<length { d[i] = a[i] + b[i] }
                case .sub: for i in 0..<length { d[i] = a[i] - b[i] }
                case .mul: for i in 0..<length { d[i] = a[i] * b[i] }
                case .div: for i in 0..<length { d[i] = a[i] / b[i] }
                case .neg: for i in 0..<length { d[i] = -a[i] }
                case .square: for i in 0..<length { d[i] = a[i] * a[i] }
                case .exp: VectorMath.map(UnsafePointer(a), d, 0..<length, lanes: VectorMath.exp, scalar: T.exp)
                case .tanh: VectorMath.map(UnsafePointer(a), d, 0..<length, lanes: VectorMath.tanh, scalar: T.tanh)
                case .sin: VectorMath.map(UnsafePointer(a), d, 0..<length, lanes: VectorMath.sin, scalar: T.sin)
                case .cos: VectorMath.map(UnsafePointer(a), d, 0..<length, lanes: VectorMath.cos, scalar: T.cos)
                case .other: table[k](a, b, d, length)
                }
              }
              start += length
            }
            }
          }
        }
      }
    }
  }
}

/// The members' formulas as block loops, for one float type.
struct FusedKernels {
  private var doubles: [BlockLoop<Double>] = []
  private var floats: [BlockLoop<Float>] = []

  /// nil when a primitive is not elementwise (`FusionPlan.isFusable` keeps those out).
  init?<T: FloatElement>(_: T.Type, _ primitives: [any Primitive]) {
    for p in primitives {
      if let unary = p as? any ElementwiseUnary {
        doubles.append(type(of: unary).blockLoop64)
        floats.append(type(of: unary).blockLoop32)
      } else if let binary = p as? any ElementwiseBinary {
        doubles.append(type(of: binary).blockLoop64)
        floats.append(type(of: binary).blockLoop32)
      } else {
        return nil
      }
    }
  }

  func table<T: FloatElement>(_: T.Type) -> [BlockLoop<T>] {
    (T.self == Double.self ? doubles as Any : floats as Any) as? [BlockLoop<T>] ?? []
  }
}
