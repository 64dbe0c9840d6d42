// Reads POSIX ustar (and GNU/pax-compatible plain) archives member by member, as WebDataset
// shards are read: name, size, bytes. Streams from the file (a shard is never held whole), and
// tells a truncated archive (a header or data cut short: the usual result of a killed writer or
// a partial copy) from a clean end (two zero blocks, or the end of the file at a block boundary).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct TarError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let offset: Int
    public let problem: String
    public var description: String { "\(path) at byte \(offset): \(problem); the shard is damaged, rebuild it with curate build-shards" }
}

public final class TarReader {
    public struct Member: Sendable {
        public let name: String
        public let bytes: [UInt8]
        /// Where the member's header starts in the archive.
        public let offset: Int
    }

    public let path: String
    private let handle: FileHandle
    private var offset = 0
    /// The archive's size when opened: a size field that claims more than is left is refused
    /// before anything is allocated for it.
    private let fileSize: Int

    public init(path: String) throws {
        self.path = path
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw TarError(path: path, offset: 0, problem: "cannot open the file")
        }
        self.handle = handle
        var info = stat()
        fileSize = fstat(handle.fileDescriptor, &info) == 0 ? Int(info.st_size) : Int.max
    }

    deinit { try? handle.close() }

    /// The next regular-file member, or nil at the archive's end. Directories, links and pax/GNU
    /// extension headers are skipped (curate's shards have none).
    public func next() throws -> Member? {
        while true {
            let start = offset
            let header = try read(512, allowEnd: true)
            guard let header else { return nil }  // end of file at a block boundary
            if header.allSatisfy({ $0 == 0 }) { return nil }  // the end-of-archive zero block
            guard checksumIsValid(header) else { throw TarError(path: path, offset: start, problem: "a header's checksum is wrong") }
            let size = try octal(header[124..<136], at: start)
            let type = header[156]
            var name = string(header[0..<100])
            let prefix = string(header[345..<500])
            if !prefix.isEmpty && header[257..<262].elementsEqual("ustar".utf8) { name = prefix + "/" + name }
            guard size <= fileSize - offset else {
                throw TarError(path: path, offset: start, problem: "member \(name) claims \(size) bytes, more than the \(fileSize - offset) left in the file")
            }
            guard let data = try read(size, allowEnd: false) else { throw TarError(path: path, offset: start, problem: "member \(name) is cut short") }
            let padding = (512 - size % 512) % 512
            if padding > 0 { guard try read(padding, allowEnd: false) != nil else { throw TarError(path: path, offset: start, problem: "member \(name) is cut short") } }
            if type == UInt8(ascii: "0") || type == 0 { return Member(name: name, bytes: data, offset: start) }
        }
    }

    /// Reads exactly n bytes; nil at a clean end of file when `allowEnd`, an error when the file
    /// ends inside the n bytes.
    private func read(_ n: Int, allowEnd: Bool) throws -> [UInt8]? {
        if n == 0 { return [] }
        let data: Data
        do { data = try handle.read(upToCount: n) ?? Data() } catch {
            throw TarError(path: path, offset: offset, problem: "cannot read (\(error))")
        }
        if data.isEmpty && allowEnd { return nil }
        guard data.count == n else {
            throw TarError(path: path, offset: offset, problem: "the file ends \(data.count) bytes into a \(n)-byte block")
        }
        offset += n
        return [UInt8](data)
    }

    private func string(_ field: ArraySlice<UInt8>) -> String {
        String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    private func octal(_ field: ArraySlice<UInt8>, at start: Int) throws -> Int {
        let digits = field.drop { $0 == 0x20 }.prefix { $0 >= 0x30 && $0 <= 0x37 }
        guard let value = Int(String(decoding: digits, as: UTF8.self), radix: 8), value >= 0 else {
            throw TarError(path: path, offset: start, problem: "a header's size field is not an octal number")
        }
        return value
    }

    /// The header checksum: the sum of all bytes with the checksum field counted as spaces.
    private func checksumIsValid(_ header: [UInt8]) -> Bool {
        guard let stored = try? octal(header[148..<156], at: 0) else { return false }
        var sum = 0
        for (i, byte) in header.enumerated() { sum += (148..<156).contains(i) ? 0x20 : Int(byte) }
        return sum == stored
    }
}
