import CurateCore
#if canImport(Glibc)
import Glibc
#endif

/// Where a record's bytes are in its dump file.
public struct RecordLocation: Sendable, Equatable {
    /// `none`: a plain file; `gzip_member`: the record is exactly one gzip member at `offset`
    /// (file offset, compressed length); `gzip_stream`: the record sits inside a longer gzip
    /// stream, and `offset`/`length` count decompressed bytes from the start of the file.
    public var codec: String
    public var offset: Int64
    public var length: Int64

    public init(codec: String, offset: Int64, length: Int64) {
        self.codec = codec
        self.offset = offset
        self.length = length
    }
}

/// One WARC record: its named header fields and, for the record types curate reads, its block.
package struct WARCRecord {
    var version: String
    var fields: [(name: String, value: String)]
    /// `response`, `resource`, `revisit`, `request`, `warcinfo`, ... (lower-cased).
    var type: String
    /// The block, for response, resource, revisit and metadata records; empty for the others.
    var block: [UInt8]
    var location: RecordLocation

    func field(_ name: String) -> String? {
        fields.first { $0.name.equalsIgnoringCase(name) }?.value
    }

    /// WARC-Target-URI without the angle brackets some WARC/1.0 writers put around it.
    var targetURI: String? {
        field("WARC-Target-URI").map { $0.hasPrefix("<") && $0.hasSuffix(">") ? String($0.dropFirst().dropLast()) : $0 }
    }
}

extension String {
    /// ASCII case-insensitive equality, enough for protocol field names.
    func equalsIgnoringCase(_ other: String) -> Bool {
        utf8.count == other.utf8.count && zip(utf8, other.utf8).allSatisfy { a, b in a | 0x20 == b | 0x20 }
    }
}

/// Something the reader passed over, with the offset where it starts.
public struct CrawlSkip: Sendable, Equatable {
    public var offset: Int64
    public var reason: DropReason
    public var detail: String
}

/// Reads WARC records one at a time from a `DumpStream`, and goes on after anything broken.
///
/// Recovery: a bad gzip member loses only the record(s) it held; a malformed header is skipped
/// to the next line that starts with `WARC/`; a file that ends inside a record reports that
/// record as truncated. Each of these is a `CrawlSkip` with a reason and the byte offset.
package final class WARCReader {
    /// `gap`: a few stray bytes between two records (a `Content-Length` a little short, extra
    /// line breaks), too few to hold a record, so nothing was lost; counted, not skipped.
    package enum Event { case record(WARCRecord), skipped(CrawlSkip), gap(offset: Int64, bytes: Int) }
    /// Fewer bytes than the smallest WARC header (version, type, id, date, length) can hold.
    static let gapLimit = 32

    let stream: DumpStream
    /// Records whose block is larger than this are skipped (`record_too_large`) without being held.
    let maxBlockBytes: Int
    private static let maxHeaderBytes = 1 << 16
    /// `metadata` too: curate fetch's outcome records (small: other crawlers' outlink lists are read and counted).
    private static let blockTypes: Set<String> = ["response", "resource", "revisit", "metadata"]

    package init(stream: DumpStream, maxBlockBytes: Int = 256 << 20) {
        self.stream = stream
        self.maxBlockBytes = maxBlockBytes
    }

    /// The next record or skip; nil at the end of the file.
    package func next() -> Event? {
        skipLineBreaks()
        if stream.available == 0 {
            if let broken = stream.breakage { stream.recover(); return .skipped(skip(for: broken)) }
            return nil
        }
        let begin = stream.position
        guard let (version, fields, headerLength) = readHeader() else {
            if let broken = stream.breakage { stream.recover(); return .skipped(skip(for: broken)) }
            if stream.ended && stream.buffer[stream.start...].starts(with: "WARC".utf8.prefix(stream.available)) {
                stream.consume(stream.available)
                return skipped(at: begin, .truncated, "the file ends inside a WARC header")
            }
            resynchronize()
            let dropped = Int(stream.position - begin)
            if dropped < Self.gapLimit && stream.available > 0 { return .gap(offset: fileOffset(begin), bytes: dropped) }
            return skipped(at: begin, .malformedWARCHeader, "no WARC/ version line with a complete header; skipped \(dropped) bytes to the next record")
        }
        guard let lengthText = fields.first(where: { $0.name.equalsIgnoringCase("Content-Length") })?.value,
              let length = Int64(lengthText.trimmingSpaces), length >= 0 else {
            stream.consume(headerLength)
            resynchronize()
            return skipped(at: begin, .malformedWARCHeader, "missing or invalid Content-Length; skipped to the next record")
        }
        stream.consume(headerLength)
        let type = (fields.first { $0.name.equalsIgnoringCase("WARC-Type") }?.value ?? "").trimmingSpaces.lowercased()
        var block: [UInt8] = []
        if Self.blockTypes.contains(type) && length <= Int64(maxBlockBytes) {
            let filled = stream.fill(Int(length))
            if let cut = nextRecordInside(recordStart: begin, blockStart: stream.position, length: length) { return cutShort(at: begin, type: type, nextRecord: cut) }
            guard filled else { return truncatedRecord(at: begin, type: type) }
            block = Array(stream.buffer[stream.start..<stream.start + Int(length)])
            stream.consume(Int(length))
        } else {
            // In steps, so that a lying length cannot swallow the records of the members after it.
            var left = length
            while left > 0 {
                let step = min(left, 1 << 20)
                _ = stream.fill(Int(step) + 8)
                if let cut = nextRecordInside(recordStart: begin, blockStart: stream.position, length: min(Int64(stream.available), left)) {
                    return cutShort(at: begin, type: type, nextRecord: cut)
                }
                guard stream.skip(step) == step else { return truncatedRecord(at: begin, type: type) }
                left -= step
            }
            if Self.blockTypes.contains(type) {
                return skipped(at: begin, .recordTooLarge, "\(type) record of \(length) bytes, above the limit of \(maxBlockBytes)")
            }
        }
        skipLineBreaks(upTo: 4)
        if stream.isGzip && stream.available == 0 {
            // Inflate on to the end of the member: a record whose member then fails its check is not trusted.
            let member = stream.memberOffset(containing: begin)
            _ = stream.fill(1)
            if stream.available == 0, let broken = stream.brokenMemberOffset, broken == member { return truncatedRecord(at: begin, type: type) }
        }
        let end = stream.position
        let location: RecordLocation
        if let member = stream.member(from: begin, to: end) {
            location = RecordLocation(codec: "gzip_member", offset: member.offset, length: member.length)
        } else {
            location = RecordLocation(codec: stream.isGzip ? "gzip_stream" : "none", offset: begin, length: end - begin)
        }
        return .record(WARCRecord(version: version, fields: fields, type: type, block: block, location: location))
    }

    /// In a gzip file with a member per record, a block that runs on past the end of the member
    /// its record started in, into a member that starts with a WARC header, was cut short (a
    /// record truncated inside its member): the offset of that next record. Whole-file and other
    /// splits (a record that does not start a member) are never cut.
    private func nextRecordInside(recordStart: Int64, blockStart: Int64, length: Int64) -> Int64? {
        guard stream.isGzip, length > 0, stream.isMemberStart(recordStart) else { return nil }
        for end in stream.memberEnds(in: blockStart + 1..<blockStart + length) {
            guard let next = stream.bytes(at: end, count: 6) else { continue }
            if next.starts(with: "WARC/".utf8), let digit = next.last, (0x30...0x39).contains(digit) { return end }
        }
        return nil
    }

    /// The record at `offset` whose block was cut short where the record at `nextRecord` starts.
    private func cutShort(at offset: Int64, type: String, nextRecord: Int64) -> Event {
        let event = skipped(at: offset, .truncated, "the \(type) record's gzip member ends \(nextRecord - offset) bytes in, before its Content-Length; went on at the next record")
        stream.consume(Int(nextRecord - stream.position))
        return event
    }

    private func truncatedRecord(at offset: Int64, type: String) -> Event {
        let detail: String
        if case .badGzip(_, let message)? = stream.breakage {
            detail = "\(type) record lost in a gzip member that does not inflate (\(message))"
        } else {
            detail = "the file ends inside a \(type) record"
        }
        let reason: DropReason = if case .badGzip? = stream.breakage { .badGzip } else { .truncated }
        let event = skipped(at: offset, reason, detail)
        stream.consume(stream.available)
        stream.recover()
        return event
    }

    /// A skip at stream position `position`, reported at a file offset: in a gzip file, the
    /// offset of the member that holds the position (where `dd` or a gzip tool can start), with
    /// the inflated position in the detail.
    private func skipped(at position: Int64, _ reason: DropReason, _ detail: String) -> Event {
        let offset = fileOffset(position)
        let note = stream.isGzip ? " (gzip member at byte \(offset); byte \(position) of the inflated stream)" : ""
        return .skipped(CrawlSkip(offset: offset, reason: reason, detail: detail + note))
    }

    private func fileOffset(_ position: Int64) -> Int64 {
        stream.isGzip ? stream.memberOffset(containing: position) ?? position : position
    }

    private func skip(for breakage: DumpStream.Breakage) -> CrawlSkip {
        switch breakage {
        case .badGzip(let offset, let message):
            CrawlSkip(offset: offset, reason: .badGzip, detail: "gzip member does not inflate (\(message)); went on at the next member")
        case .truncatedGzip(let offset):
            CrawlSkip(offset: offset, reason: .truncated, detail: "the file ends inside a gzip member")
        }
    }

    /// Parses `WARC/x.y` and the header fields up to the empty line; returns nil if they are not there.
    private func readHeader() -> (String, [(name: String, value: String)], Int)? {
        guard stream.fill(6) else { return nil }
        let s = stream.start
        guard stream.buffer[s..<s + 5].elementsEqual("WARC/".utf8) else { return nil }
        // Find the blank line that ends the header (CRLF CRLF, or bare LF LF from lax writers).
        var scanned = 0
        while true {
            let buf = stream.buffer
            var i = stream.start + scanned
            let end = buf.count
            while i < end {
                if buf[i] == 0x0A {
                    if i + 1 < end && buf[i + 1] == 0x0A { return parseHeader(buf[stream.start..<i + 1], length: i + 2 - stream.start) }
                    if i + 2 < end && buf[i + 1] == 0x0D && buf[i + 2] == 0x0A { return parseHeader(buf[stream.start..<i + 1], length: i + 3 - stream.start) }
                }
                i += 1
            }
            scanned = max(0, stream.available - 3)
            if stream.available >= Self.maxHeaderBytes || !stream.fill(stream.available + 4096) { return nil }
        }
    }

    private func parseHeader(_ bytes: ArraySlice<UInt8>, length: Int) -> (String, [(name: String, value: String)], Int)? {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        let version = String(lines.removeFirst()).trimmingSpaces
        return (version, headerFields(lines), length)
    }

    /// Drops bytes up to the next `WARC/` at the start of a line or of a gzip member (or the end).
    private func resynchronize() {
        if stream.available > 0 { stream.consume(1) }
        while true {
            let buf = stream.buffer
            var i = stream.start
            while i + 5 <= buf.count {
                // memchr finds the candidates: junk can be gigabytes (a gzip bomb of zeros).
                let next = buf.withUnsafeBufferPointer { b -> Int? in
                    memchr(b.baseAddress! + i, 0x57, b.count - i).map { UnsafeRawPointer($0) - UnsafeRawPointer(b.baseAddress!) }
                }
                guard let next else { i = buf.count; break }
                i = next
                guard i + 5 <= buf.count else { break }
                let lineStart = i == 0 || i == stream.start || buf[i - 1] == 0x0A
                if buf[i..<i + 5].elementsEqual("WARC/".utf8) && (lineStart || stream.isMemberStart(stream.position + Int64(i - stream.start))) {
                    stream.consume(i - stream.start)
                    return
                }
                i += 1
            }
            let keep = min(4, stream.available)
            stream.consume(stream.available - keep)
            if !stream.fill(keep + 1) {
                if stream.breakage == nil { stream.consume(stream.available) }
                return
            }
        }
    }

    private func skipLineBreaks(upTo limit: Int = .max) {
        var n = 0
        while n < limit && stream.fill(1) {
            let b = stream.buffer[stream.start]
            guard b == 0x0D || b == 0x0A else { return }
            stream.consume(1)
            n += 1
        }
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (and CR/LF).
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = lastIndex(where: { !isSpace($0) })!
        return String(self[first...last])
    }
}
