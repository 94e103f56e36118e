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
    .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
    .target(name: "SwiftGrad", dependencies: ["CBLAS"]),
    .target(name: "SwiftGradC", dependencies: ["SwiftGrad"]),
    .executableTarget(name: "SwiftGradExample", dependencies: ["SwiftGrad"]),
    .testTarget(name: "SwiftGradTests", dependencies: ["SwiftGrad"]),
  ]
)
