import SwiftGrad

// C ABI of the blocked attention primitive (Note [Blocked attention]); declared at the end of
// include/swiftgrad.h.

/// `mask` may be NULL; `hasScale` 0 means the default 1/sqrt(E).
@_cdecl("sg_scaled_dot_product_attention")
public func sg_scaled_dot_product_attention(
  _ out: OutHandle?, _ q: Handle?, _ k: Handle?, _ v: Handle?, _ mask: Handle?, _ dropout: Double,
  _ isCausal: Int32, _ hasScale: Int32, _ scale: Double
) -> Int32 {
  produce(out, q, k, v) { t in
    try scaledDotProductAttention(
      t[0], t[1], t[2], mask: mask.map(tensor), dropoutProbability: dropout, isCausal: isCausal != 0,
      scale: hasScale != 0 ? scale : nil)
  }
}
