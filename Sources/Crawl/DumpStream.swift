import Zlib
import Foundation

/// The bytes of one dump file as the WARC reader sees them: the file itself, or the inflated
/// content of its gzip members, read in chunks so that memory does not grow with the file.
///
/// The reader pulls with `fill(_:)` and `consume(_:)`. For gzip files the stream remembers where
/// each member starts (compressed and uncompressed), so that a record that fills exactly one
/// member (WARC's recommended layout, and Common Crawl's) can be located by the member's offset
/// and length in the file. A member that fails to inflate *breaks* the stream: `fill` stops,
/// the reader reports what was lost, and `recover()` goes on at the next gzip header.
package final class DumpStream {
    /// How the file is stored: plain, or gzip (one member per record, or any other split).
    let isGzip: Bool
    /// Why the stream stopped early, if it did: a member that would not inflate (with the file
    /// offset where that member starts), or a file that ends inside a member.
    enum Breakage: Equatable { case badGzip(memberOffset: Int64, message: String), truncatedGzip(memberOffset: Int64) }
    private(set) var breakage: Breakage?

    /// Decompressed bytes not yet consumed are `buffer[start...]`; `buffer[0]` is at `bufferBase`.
    private(set) var buffer: [UInt8] = []
    private(set) var start = 0
    private var bufferBase: Int64 = 0
    private var atEnd = false

    private let fd: Int32
    private let path: String
    private var input: [UInt8] = []      // compressed bytes read from the file
    private var inputStart = 0           // first byte zlib has not consumed
    private var inputBase: Int64 = 0     // file offset of input[0]
    private var fileAtEnd = false
    private let inflater: Inflater?
    private var inMember = false
    private var memberOffset: Int64 = 0  // file offset of the member being inflated
    /// Member starts still of interest: (uncompressed offset, file offset).
    private var memberStarts: [(u: Int64, c: Int64)] = []
    /// Member ends, keyed by uncompressed offset, mapped to the file offset just after the member.
    private var memberEnds: [Int64: Int64] = [:]
    private static let chunk = 1 << 20
    /// zlib's output area, reused for every call (a member per record means many short calls).
    private var inflated = [UInt8](repeating: 0, count: 256 << 10)
    /// libdeflate, for members held whole in the input (the common case); zlib streams the rest.
    private let wholeMembers = GzipMemberDecompressor()
    /// libdeflate's output area: grown when a member needs more, up to `wholeMemberLimit`.
    private var wholeOutput = [UInt8](repeating: 0, count: 1 << 20)
    private static let wholeMemberLimit = 16 << 20   // larger members (rare: big images, bombs) are streamed

    /// Opens `path` for reading; the first bytes decide whether it is gzip (magic 1f 8b), not the name.
    /// `resume` starts at a record boundary found by an earlier run: its file offset (a member
    /// start for gzip) and its offset in the decompressed stream.
    package init(path: String, resume: (file: Int64, stream: Int64)? = nil) throws {
        self.path = path
        fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CrawlError.unreadable(path: path, message: String(cString: strerror(errno))) }
        var magic = [UInt8](repeating: 0, count: 2)
        let n = pread(fd, &magic, 2, 0)
        isGzip = n == 2 && magic[0] == 0x1f && magic[1] == 0x8b
        inflater = isGzip ? Inflater(windowBits: 31) : nil
        if let resume, resume.file > 0 {
            lseek(fd, off_t(resume.file), SEEK_SET)
            inputBase = resume.file
            bufferBase = resume.stream
        }
    }

    deinit { close(fd) }

    /// The offset of the next unconsumed byte in the decompressed stream (the file offset for a plain file).
    var position: Int64 { bufferBase + Int64(start) }
    var available: Int { buffer.count - start }
    /// True when no more bytes will come (end of file, or a breakage not yet recovered).
    var ended: Bool { atEnd || breakage != nil }
    /// True when nothing is left and the stream ended normally or broke.
    var isExhausted: Bool { available == 0 && (atEnd || breakage != nil) }

    /// Makes at least `count` unconsumed bytes available if the stream holds them; returns whether it could.
    @discardableResult
    func fill(_ count: Int) -> Bool {
        while available < count {
            if atEnd || breakage != nil { return false }
            if start > (1 << 20) && start > buffer.count / 2 {
                buffer.removeFirst(start)
                bufferBase += Int64(start)
                start = 0
            }
            isGzip ? inflateMore() : readPlain()
        }
        return true
    }

    /// Drops `count` bytes (they must be available).
    func consume(_ count: Int) {
        precondition(count <= available, "DumpStream.consume past the available bytes.")
        start += count
        if buffer.count == start {
            bufferBase += Int64(buffer.count)
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
    }

    /// Skips `count` bytes without holding them all in memory; returns how many were skipped.
    func skip(_ count: Int64) -> Int64 {
        var left = count
        while left > 0 {
            if available == 0 && !fill(1) { break }
            let n = Int(min(Int64(available), left))
            consume(n)
            left -= Int64(n)
        }
        return count - left
    }

    /// If a record spanning decompressed offsets [from, to) is exactly one gzip member, that
    /// member's file offset and length; nil otherwise.
    func member(from: Int64, to: Int64) -> (offset: Int64, length: Int64)? {
        guard isGzip, let startIndex = memberStarts.firstIndex(where: { $0.u == from }) else { return nil }
        let begin = memberStarts[startIndex].c
        guard let end = memberEnds[to] else { return nil }
        // Only members that ended after `from` still matter.
        memberStarts.removeFirst(startIndex)
        memberEnds = memberEnds.filter { $0.key > from }
        return (begin, end - begin)
    }

    /// Where a later run can start reading again, at the current position (a record boundary):
    /// the file offset to seek to and the stream offset there. For a gzip stream not split at
    /// this point the file offset is 0: the next run inflates from the start and skips.
    func resumePoint() -> (file: Int64, stream: Int64) {
        let p = position
        if !isGzip { return (p, p) }
        if let end = memberEnds[p], available == 0 || !inMember { return (end, p) }
        return (0, p)
    }

    /// Whether a gzip member starts at decompressed offset `u` (as far as the stream still knows).
    func isMemberStart(_ u: Int64) -> Bool {
        memberStarts.contains { $0.u == u }
    }

    /// The decompressed offsets inside `range` where a gzip member ended, in order.
    func memberEnds(in range: Range<Int64>) -> [Int64] {
        memberEnds.keys.filter { range.contains($0) }.sorted()
    }

    /// The `count` bytes at decompressed offset `u`, if they are in the buffer now.
    func bytes(at u: Int64, count: Int) -> ArraySlice<UInt8>? {
        let i = Int(u - bufferBase)
        guard i >= start, i + count <= buffer.count else { return nil }
        return buffer[i..<i + count]
    }

    /// The file offset of the gzip member holding decompressed offset `u`, if still known.
    func memberOffset(containing u: Int64) -> Int64? {
        memberStarts.last { $0.u <= u }?.c
    }

    /// The file offset of the member that broke, if the stream broke.
    var brokenMemberOffset: Int64? {
        switch breakage {
        case .badGzip(let offset, _)?, .truncatedGzip(let offset)?: offset
        case nil: nil
        }
    }

    /// After a breakage: throws away the partial data and goes on at the next gzip header.
    func recover() {
        guard let broken = breakage else { return }
        bufferBase += Int64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
        start = 0
        memberStarts.removeAll()
        memberEnds.removeAll()
        breakage = nil
        switch broken {
        case .truncatedGzip: atEnd = true
        case .badGzip(let offset, _): restartAfter(offset)
        }
    }

    // MARK: plain files

    private func readPlain() {
        let before = buffer.count
        buffer.reserveCapacity(before + Self.chunk)
        var tmp = [UInt8](repeating: 0, count: Self.chunk)
        let n = read(fd, &tmp, Self.chunk)
        if n <= 0 { atEnd = true; return }
        buffer.append(contentsOf: tmp[0..<n])
    }

    // MARK: gzip members

    private func readInput() -> Bool {
        if inputStart > 0 {
            input.removeFirst(inputStart)
            inputBase += Int64(inputStart)
            inputStart = 0
        }
        var tmp = [UInt8](repeating: 0, count: Self.chunk)
        let n = read(fd, &tmp, Self.chunk)
        if n <= 0 { fileAtEnd = true; return false }
        input.append(contentsOf: tmp[0..<n])
        return true
    }

    private var inputOffset: Int64 { inputBase + Int64(inputStart) }

    private func inflateMore() {
        if inputStart == input.count && !readInput() {
            if inMember { breakage = .truncatedGzip(memberOffset: memberOffset) } else { atEnd = true }
            return
        }
        if !inMember {
            // Expect a gzip header here; anything else (padding, junk) is skipped to the next one.
            if input.count - inputStart < 3 && !fileAtEnd { _ = readInput() }
            if !(input.count - inputStart >= 2 && input[inputStart] == 0x1f && input[inputStart + 1] == 0x8b) {
                if !seekNextMagic() { atEnd = true }
                return
            }
            inMember = true
            memberOffset = inputOffset
            memberStarts.append((u: bufferBase + Int64(buffer.count), c: memberOffset))
            if inflateWholeMember() { return }
        }
        guard let inflater else { return }
        let (status, used, produced) = input.withUnsafeBufferPointer { inBuf in
            inflated.withUnsafeMutableBufferPointer { outBuf in inflater.inflate(UnsafeBufferPointer(rebasing: inBuf[inputStart...]), into: outBuf) }
        }
        inputStart += used
        buffer.append(contentsOf: inflated[0..<produced])
        switch status {
        case .progress, .stalled:
            if used == 0 && produced == 0 && !readInput() { breakage = .truncatedGzip(memberOffset: memberOffset) }
        case .end:
            inMember = false
            memberEnds[bufferBase + Int64(buffer.count)] = inputOffset
            inflater.reset()
        case .failed(let message):
            // The last member of a file that fails was cut off there (a download that broke off).
            breakage = hasMemberAhead() ? .badGzip(memberOffset: memberOffset, message: message) : .truncatedGzip(memberOffset: memberOffset)
        }
    }

    /// Decompresses the member that starts at the input position in one call with libdeflate, if
    /// the input holds all of it (at least a chunk ahead is read first). False leaves everything
    /// as it was, for zlib to stream the member (one too large, damaged, or cut short: zlib's
    /// errors say which).
    private func inflateWholeMember() -> Bool {
        if input.count - inputStart < Self.chunk && !fileAtEnd { _ = readInput() }
        while true {
            let result = input.withUnsafeBufferPointer { inBuf in
                wholeOutput.withUnsafeMutableBufferPointer { wholeMembers.decompress(UnsafeBufferPointer(rebasing: inBuf[inputStart...]), into: $0) }
            }
            switch result {
            case .member(let used, let produced):
                inputStart += used
                buffer.append(contentsOf: wholeOutput[0..<produced])
                inMember = false
                memberEnds[bufferBase + Int64(buffer.count)] = inputOffset
                return true
            case .needsMoreRoom where wholeOutput.count < Self.wholeMemberLimit:
                wholeOutput = [UInt8](repeating: 0, count: wholeOutput.count * 4)
            case .needsMoreRoom, .notWhole:
                return false
            }
        }
    }

    /// Whether another gzip header follows the current input position (read without moving it).
    private func hasMemberAhead() -> Bool {
        let here = lseek(fd, 0, SEEK_CUR)
        defer { lseek(fd, here, SEEK_SET) }
        var window = Array(input[min(inputStart + 1, input.count)...])
        var chunk = [UInt8](repeating: 0, count: Self.chunk)
        while true {
            if window.count >= 3 {
                for i in 0..<(window.count - 2) where window[i] == 0x1f && window[i + 1] == 0x8b && window[i + 2] == 0x08 { return true }
                window = Array(window.suffix(2))
            }
            let n = read(fd, &chunk, Self.chunk)
            if n <= 0 { return false }
            window += chunk[0..<n]
        }
    }

    /// Moves the input to the next gzip magic (1f 8b 08) after the current position; false at end of file.
    private func seekNextMagic() -> Bool {
        while true {
            var i = inputStart
            while i + 2 < input.count {
                if input[i] == 0x1f && input[i + 1] == 0x8b && input[i + 2] == 0x08 { inputStart = i; return true }
                i += 1
            }
            inputStart = max(inputStart, input.count - 2)
            if !readInput() { inputStart = input.count; return false }
        }
    }

    /// Restarts inflating at the first gzip header after the member at `offset`.
    private func restartAfter(_ offset: Int64) {
        inflater?.reset()
        inMember = false
        if offset + 1 >= inputBase && offset + 1 <= inputBase + Int64(input.count) {
            inputStart = Int(offset + 1 - inputBase)
        } else {
            lseek(fd, off_t(offset + 1), SEEK_SET)
            input.removeAll(keepingCapacity: true)
            inputStart = 0
            inputBase = offset + 1
            fileAtEnd = false
        }
        if !seekNextMagic() { atEnd = true }
    }
}
