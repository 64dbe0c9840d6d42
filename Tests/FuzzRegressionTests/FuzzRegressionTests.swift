import Foundation
import FuzzTargets
import Testing
import TestSupport

/// Every input the fuzzer found a crash, hang or leak with (`Tests/Fuzz/TARGET/NAME`, committed
/// when it was fixed) runs through its target again and must return, within seconds.
@Suite struct FuzzRegressionTests {
    static let folder = SharedCorpus.repositoryRoot.path + "/Tests/Fuzz"

    @Test func everyTargetIsNamedAndEveryFindingReplays() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.folder).filter { !$0.hasPrefix(".") && $0 != "README.md" }
        #expect(Set(names).isSubset(of: FuzzTargets.all.keys), "a folder of Tests/Fuzz names no target: \(names)")
        var replayed = 0
        for target in names.sorted() {
            let run = FuzzTargets.all[target]!
            for input in try FileManager.default.contentsOfDirectory(atPath: Self.folder + "/" + target).sorted() {
                let started = Date()
                run([UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.folder + "/" + target + "/" + input))))
                #expect(Date().timeIntervalSince(started) < 10, "\(target)/\(input) took \(Date().timeIntervalSince(started)) s")
                replayed += 1
            }
        }
        print("replayed \(replayed) fuzzer findings")
    }

    @Test func eachTargetTakesEmptyAndTinyInputs() {
        for (_, run) in FuzzTargets.all {
            run([])
            run([0])
            run(Array("WARC/1.1\r\n".utf8))
        }
    }
}
