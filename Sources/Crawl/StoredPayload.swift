import CurateCore
import Foundation

/// Reads back what the catalog located: an image's bytes from its dump, by (source, path,
/// codec, offset, length) as crawl-dump recorded them. Later stages (filter's pHash, build-shards)
/// use this instead of downloading anything.
public enum StoredPayload {
    /// Why stored bytes could not be read back; `reason` is the drop reason a stage records.
    public struct Failure: ReasonedError, Sendable {
        public var reason: DropReason
        public var message: String
        public var description: String { message }
    }

    /// The payload at `location` of the dump `sourcePath`: for a mirror file (`mirrorPath` set),
    /// the file `sourcePath/mirrorPath`; for a WARC record, its block with HTTP framing, chunking
    /// and content coding undone (a `resource` record's block is the payload itself).
    /// The reader later stages are given: the bytes at a catalogued location.
    public static let reader: StoredImageReader = {
        try bytes(sourcePath: $0.sourcePath, mirrorPath: $0.mirrorPath, location: RecordLocation(codec: $0.codec, offset: $0.offset, length: $0.length))
    }

    public static func bytes(sourcePath: String, mirrorPath: String?, location: RecordLocation) throws -> [UInt8] {
        if let mirrorPath {
            let file = (sourcePath as NSString).appendingPathComponent(mirrorPath)
            switch FileList.read(file) {
            case .success(let bytes): return bytes
            case .failure(let error): throw Failure(reason: .unreadable, message: error.description)
            }
        }
        let stream: DumpStream
        do {
            switch location.codec {
            case "gzip_member", "none":
                // A member start (gzip) or the record start (plain) is a place reading can begin.
                stream = try DumpStream(path: sourcePath, resume: (file: location.offset, stream: location.codec == "none" ? location.offset : 0))
            case "gzip_stream":
                // Inside one long gzip stream there is no entry point: inflate up to the record.
                stream = try DumpStream(path: sourcePath)
                guard stream.skip(location.offset) == location.offset else {
                    throw Failure(reason: .truncated, message: "\(sourcePath): the gzip stream ends before offset \(location.offset)")
                }
            default:
                throw Failure(reason: .unreadable, message: "\(sourcePath): unknown record codec \(location.codec) in the catalog")
            }
        } catch let error as CrawlError {
            throw Failure(reason: .unreadable, message: error.description)
        }
        let reader = WARCReader(stream: stream)
        guard case .record(let record)? = reader.next() else {
            throw Failure(reason: .unreadable, message: "\(sourcePath): no WARC record at \(location.codec) offset \(location.offset); was the dump changed after crawl-dump?")
        }
        if record.type == "resource" { return record.block }
        switch HTTPResponse.parse(record.block) {
        case .success(let response): return response.body
        case .failure(let skip): throw Failure(reason: skip.reason, message: "\(sourcePath) offset \(location.offset): \(skip.detail)")
        }
    }
}
