import CBLAS

/// The complex forms of the elementary functions (Note [Complex dtypes] in Complex.swift). Values
/// come from libm's C99 functions (Note [C99 complex functions], Sources/CBLAS/sg_complex.c),
/// whose branch cuts and special values are those of NumPy and the array API standard; complex64
/// computes through them in Double and rounds once. Derivatives are the real ops' `derivative`
/// expressions, which hold for complex z (holomorphic: the family's VJP conjugates them), except
/// arccosh's, which needs the product form there (Arccosh.derivative).
extension Complex {
  @inline(__always)
  static func viaC(_ z: Complex, _ f: (Double, Double) -> sg_complex_parts) -> Complex {
    let p = f(z.re.doubleValue, z.im.doubleValue)
    return Complex(R(fromDouble: p.re), R(fromDouble: p.im))
  }
  static func exp(_ z: Complex) -> Complex { viaC(z, sg_cexp) }
  static func log(_ z: Complex) -> Complex { viaC(z, sg_clog) }
}

/// An elementwise op whose complex form is a function of C99 (or one of sg_complex.c's).
protocol C99ComplexUnary: ComplexUnary {
  static var complexFunction: (Double, Double) -> sg_complex_parts { get }
}
extension C99ComplexUnary {
  static func applyComplex<R: FloatElement>(_ z: Complex<R>) -> Complex<R> { Complex.viaC(z, complexFunction) }
}

extension Exp: C99ComplexUnary { static var complexFunction: (Double, Double) -> sg_complex_parts { sg_cexp } }
extension Log: C99ComplexUnary { static var complexFunction: (Double, Double) -> sg_complex_parts { sg_clog } }
extension Sqrt: C99ComplexUnary { static var complexFunction: (Double, Double) -> sg_complex_parts { sg_csqrt } }
extension Sin: C99ComplexUnary { static var complexFunction: (Double, Double) -> sg_complex_parts { sg_csin } }
extension Cos: C99ComplexUnary { static var complexFunction: (Double, Double) -> sg_complex_parts { sg_ccos } }
extension Tan: C99ComplexUnary { static var complexFunction: (Double, Double) -> sg_complex_parts { sg_ctan } }
extension Sinh: C99ComplexUnary { static var complexFunction: (Double, Double) -> sg_complex_parts { sg_csinh } }
extension Cosh: C99ComplexUnary { static var complexFunction: (Double, Double) -> sg_complex_parts { sg_ccosh } }
extension Tanh: C99ComplexUnary { static var complexFunction: (Double, Double) -> sg_complex_parts { sg_ctanh } }
extension Arcsin: C99ComplexUnary { static var complexFunction: (Double, Double) -> sg_complex_parts { sg_casin } }
extension Arccos: C99ComplexUnary { static var complexFunction: (Double, Double) -> sg_complex_parts { sg_cacos } }
extension Arctan: C99ComplexUnary { static var complexFunction: (Double, Double) -> sg_complex_parts { sg_catan } }
extension Arcsinh: C99ComplexUnary {
  static var complexFunction: (Double, Double) -> sg_complex_parts { sg_casinh }
}
extension Arccosh: C99ComplexUnary {
  static var complexFunction: (Double, Double) -> sg_complex_parts { sg_cacosh }
}
extension Arctanh: C99ComplexUnary {
  static var complexFunction: (Double, Double) -> sg_complex_parts { sg_catanh }
}
extension Expm1: C99ComplexUnary { static var complexFunction: (Double, Double) -> sg_complex_parts { sg_cexpm1 } }
extension Log1p: C99ComplexUnary { static var complexFunction: (Double, Double) -> sg_complex_parts { sg_clog1p } }

/// log2 and log10 of complex z: log(z) / log(b), as NumPy.
extension Complex {
  static func log(_ z: Complex, dividedBy lnBase: Double) -> Complex {
    let p = sg_clog(z.re.doubleValue, z.im.doubleValue)
    return Complex(R(fromDouble: p.re / lnBase), R(fromDouble: p.im / lnBase))
  }
}
extension Log2: ComplexUnary {
  static func applyComplex<R: FloatElement>(_ z: Complex<R>) -> Complex<R> {
    Complex.log(z, dividedBy: 0.6931471805599453)
  }
}
extension Log10: ComplexUnary {
  static func applyComplex<R: FloatElement>(_ z: Complex<R>) -> Complex<R> {
    Complex.log(z, dividedBy: 2.302585092994046)
  }
}

/// sign(z) = z / |z| (the array API's and PyTorch's `sgn`): 0 at 0, NaN + NaN i when a part is NaN.
extension Sign: ComplexUnary {
  static func applyComplex<R: FloatElement>(_ z: Complex<R>) -> Complex<R> {
    if z.re.isNaN || z.im.isNaN { return Complex(R(fromDouble: .nan), R(fromDouble: .nan)) }
    if z.re == 0 && z.im == 0 { return Complex(0, 0) }
    let m = z.magnitude
    return Complex(z.re / m, z.im / m)
  }
}
