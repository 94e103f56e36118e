// swift-tools-version:5.9
import PackageDescription

let package = Package(
  name: "SwiftGrad",
  products: [
    .library(name: "SwiftGrad", targets: ["SwiftGrad"]),
    // The C ABI that the Python extension loads. Build with `-Xswiftc -static-stdlib`
    // so the Swift runtime is linked into it (see Makefile / setup.py).
    .library(name: "swiftgrad", type: .dynamic, targets: ["SwiftGradC"]),
    .executable(name: "swiftgrad-example", targets: ["SwiftGradExample"]),
  ],
  targets: [
    // BLAS and LAPACK are opened at run time (Note [Loading BLAS at run time] in sg_blas.c),
    // so building needs no BLAS installed and one build runs with whichever the machine has.
    .target(name: "CBLAS", linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread"), .linkedLibrary("m")]),
    .target(name: "SwiftGrad", dependencies: ["CBLAS"]),
    .target(name: "SwiftGradC", dependencies: ["SwiftGrad"]),
    .executableTarget(name: "SwiftGradExample", dependencies: ["SwiftGrad"]),
    .testTarget(name: "SwiftGradTests", dependencies: ["SwiftGrad"]),
  ]
)
