// curate-fuzz: the libFuzzer driver of FuzzTargets (`make fuzz`). Built only with CURATE_FUZZ=1
// and `-sanitize=fuzzer,address`; CURATE_FUZZ_TARGET names the target, the arguments are
// libFuzzer's (corpus folders, -max_total_time=N, ...).
import CFuzzer
import Foundation
import FuzzTargets

let name = ProcessInfo.processInfo.environment["CURATE_FUZZ_TARGET"] ?? ""
guard let target = FuzzTargets.all[name] else {
    FileHandle.standardError.write(Data("set CURATE_FUZZ_TARGET to one of: \(FuzzTargets.all.keys.sorted().joined(separator: ", "))\n".utf8))
    exit(2)
}
let chosen = target

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, count in
    chosen(data.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? [])
    return 0
})
