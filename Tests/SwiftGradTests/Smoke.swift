import XCTest
@testable import SwiftGrad
