import Foundation
import Testing
import TestSupport

/// samples/images is generated, not hand-made: the committed bytes must be what the generator writes.
/// Set CURATE_WRITE_SAMPLES=1 to rewrite them after changing the generator.
@Test func sampleImagesAreReproducible() throws {
    let folder = SharedCorpus.repositoryRoot.appendingPathComponent("samples/images")
    for (name, bytes) in try SampleImages.files() {
        let url = folder.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["CURATE_WRITE_SAMPLES"] != nil {
            try Data(bytes).write(to: url)
        }
        let committed = FileManager.default.contents(atPath: url.path).map { [UInt8]($0) }
        #expect(committed == bytes, "samples/images/\(name) differs from what SampleImages writes")
    }
}
