import CurateCore
import Foundation
import Testing

@Suite struct ReasonCountsTests {
    @Test func countsAndSummary() {
        var counts = ReasonCounts()
        counts.keep(3)
        counts.drop(.truncated)
        counts.drop(.corrupt, 2)
        #expect(counts.total == 6 && counts.droppedTotal == 3)
        #expect(counts.summaryLines == ["kept 3", "dropped.corrupt 2", "dropped.truncated 1"])
    }

    /// Units' counts merge by addition, so the order units finish in does not matter.
    @Test func mergeIsOrderIndependent() {
        var a = ReasonCounts(), b = ReasonCounts()
        a.keep(2); a.drop(.tooManyPixels)
        b.keep(1); b.drop(.tooManyPixels); b.drop(.emptyFile)
        var ab = a, ba = b
        ab.merge(b); ba.merge(a)
        #expect(ab == ba)
        #expect(ab.dropped[.tooManyPixels] == 2 && ab.kept == 3)
    }

    /// Reasons are stored and counted by name: their spelling is part of the interface.
    @Test func reasonNamesAreStable() {
        let names = [DropReason.emptyFile, .unknownFormat, .truncated, .invalidDimensions, .tooManyPixels, .unsupportedFormat, .corrupt, .unreadable].map(\.rawValue)
        #expect(names == ["empty_file", "unknown_format", "truncated", "invalid_dimensions", "too_many_pixels", "unsupported_format", "corrupt", "unreadable"])
    }
}

@Suite struct FileListTests {
    @Test func expandsFoldersSortedAndReportsMissing() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("curate-filelist-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("b/c"), withIntermediateDirectories: true)
        for path in ["z.jpg", "b/a.png", "b/c/d.gif", ".hidden"] {
            try Data([1]).write(to: root.appendingPathComponent(path))
        }
        defer { try? FileManager.default.removeItem(at: root) }
        let (files, missing) = FileList.expand([root.path, root.path + "/nope.jpg"])
        #expect(files == [root.path + "/b/a.png", root.path + "/b/c/d.gif", root.path + "/z.jpg"])
        #expect(missing == [root.path + "/nope.jpg"])
        guard case .success(let bytes) = FileList.read(root.path + "/z.jpg") else { Issue.record("read failed"); return }
        #expect(bytes == [1])
        guard case .failure(let error) = FileList.read(root.path + "/b") else { Issue.record("a folder read as a file"); return }
        #expect(error.description.hasPrefix(root.path + "/b: not a regular file"))
        guard case .failure(let fifo) = FileList.read("/dev/null") else { Issue.record("a device read as a file"); return }
        #expect(fifo.message == "not a regular file")
    }
}

@Suite struct ByteSearchTests {
    @Test func findsBytesNotCanonicalEquivalents() {
        #expect(ByteSearch.contains("/img/placeholder.gif", "placeholder"))
        #expect(ByteSearch.contains("abc", ""))
        #expect(!ByteSearch.contains("ab", "abc"))
        #expect(!ByteSearch.contains("aab", "abb"))
        #expect(ByteSearch.contains("xxaab", "aab"))            // a partial match just before the real one
        // "é" precomposed and "e" + combining acute are equal as Strings, not as bytes.
        #expect(!ByteSearch.contains("caf\u{E9}", "cafe\u{301}"))
        #expect(ByteSearch.contains(Array("<!doctype html>".utf8), "doctype"))
    }
}

@Suite struct AtomicFileTests {
    @Test func replacesTheWholeFileAndLeavesNoTemporary() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("curate-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("out.png").path
        try AtomicFile.write([1, 2, 3], to: path)
        try AtomicFile.write([4, 5], to: path)
        #expect(FileManager.default.contents(atPath: path) == Data([4, 5]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.png"])
        #expect(throws: AtomicFile.WriteError.self) { try AtomicFile.write([1], to: folder.path + "/missing/out.png") }
    }
}

@Suite struct HexTests {
    @Test func encodesAndDecodes() {
        #expect(Hex.encode([0x00, 0x0f, 0xa5, 0xff]) == "000fa5ff" && Hex.encode([UInt8]()) == "")
        #expect(Hex.decode("000fa5ff") == [0x00, 0x0f, 0xa5, 0xff] && Hex.decode("A5") == [0xa5])
        #expect(Hex.decode("abc") == nil && Hex.decode("0g") == nil)
        let bytes = (0...255).map(UInt8.init)
        #expect(Hex.decode(Hex.encode(bytes)) == bytes)
    }
}

@Suite struct FolderLockTests {
    @Test func oneHolderAtATimeAndDeadRunsTemporariesRemoved() throws {
        let folder = NSTemporaryDirectory() + "curate-lock-\(getpid())"
        try? FileManager.default.removeItem(atPath: folder)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/.curate-tmp-4242-partial", withIntermediateDirectories: true)
        for name in [".curate-tmp-4242-train-000000.tar", "train-000000.tar", ".curate-build-key"] {
            FileManager.default.createFile(atPath: folder + "/" + name, contents: Data("x".utf8))
        }
        var lock: FolderLock? = try FolderLock(folder, command: "curate test")
        #expect(lock?.removedTemporaries == [".curate-tmp-4242-partial", ".curate-tmp-4242-train-000000.tar"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == [".curate-build-key", ".curate.lock", "train-000000.tar"])
        // flock belongs to the open file, so a second lock is refused even within one process.
        #expect {
            try FolderLock(folder)
        } throws: { error in
            let text = "\(error)"
            return text.contains("in use by another curate process (pid \(getpid()): curate test, since ") && text.hasSuffix("then run again")
        }
        lock = nil
        #expect(try FolderLock(folder).folder == folder, "released with its holder")
        _ = lock
    }
}
