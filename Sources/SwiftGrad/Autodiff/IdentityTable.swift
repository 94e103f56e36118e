/// Note [Identity table]: the backward sweep numbers the tensors it reaches and looks a tensor's
/// number up by its address, once per graph edge. Swift's `Set` and `Dictionary` hash an
/// `ObjectIdentifier` with SipHash and keep cotangents in hashed buckets; this open-addressing
/// table multiplies the address by a constant (Fibonacci hashing), probes linearly, and keeps
/// keys and numbers in two flat arrays, so the sweep's cotangents live in a plain array indexed
/// by number. Numbers are given in insertion order, from 0. Nothing is ever removed.
struct IdentityTable {
  private var keys: [UInt]  // 0 marks an empty slot (no object lives at address 0)
  private var numbers: [Int]
  private var shift: Int
  private(set) var count = 0

  init(minimumCapacity: Int = 32) {
    var slots = 16
    while slots < 2 * minimumCapacity { slots &*= 2 }
    keys = [UInt](repeating: 0, count: slots)
    numbers = [Int](repeating: 0, count: slots)
    shift = 64 - slots.trailingZeroBitCount
  }

  @inline(__always) private static func key(_ object: AnyObject) -> UInt { UInt(bitPattern: ObjectIdentifier(object)) }

  @inline(__always) private func home(_ key: UInt) -> Int {
    Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> UInt(shift))
  }

  /// The object's number, inserting it (with the next number) if it is new.
  mutating func insert(_ object: AnyObject) -> (inserted: Bool, number: Int) {
    if 2 * (count + 1) > keys.count { grow() }
    let key = Self.key(object)
    let mask = keys.count - 1
    var slot = home(key)
    while true {
      let found = keys[slot]
      if found == key { return (false, numbers[slot]) }
      if found == 0 {
        keys[slot] = key
        numbers[slot] = count
        count += 1
        return (true, count - 1)
      }
      slot = (slot + 1) & mask
    }
  }

  func number(of object: AnyObject) -> Int? {
    let key = Self.key(object)
    let mask = keys.count - 1
    var slot = home(key)
    while true {
      let found = keys[slot]
      if found == key { return numbers[slot] }
      if found == 0 { return nil }
      slot = (slot + 1) & mask
    }
  }

  private mutating func grow() {
    let oldKeys = keys, oldNumbers = numbers
    keys = [UInt](repeating: 0, count: oldKeys.count * 2)
    numbers = [Int](repeating: 0, count: oldKeys.count * 2)
    shift -= 1
    let mask = keys.count - 1
    for (key, number) in zip(oldKeys, oldNumbers) where key != 0 {
      var slot = home(key)
      while keys[slot] != 0 { slot = (slot + 1) & mask }
      keys[slot] = key
      numbers[slot] = number
    }
  }
}
