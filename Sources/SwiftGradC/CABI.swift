import SwiftGrad
