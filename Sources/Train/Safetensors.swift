// safetensors, the format PyTorch, timm and Hugging Face load without running code:
//   8 bytes: N, the header's length (little-endian UInt64)
//   N bytes: a JSON object {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
//            "__metadata__": {"key": "string value", ...}}, padded with spaces to a multiple of 8
//   the tensors' bytes, little-endian, row-major, each at its offsets (relative to the data start)
// curate writes the header by hand so that tensors appear in table order and the bytes are the
// same on every run; it reads with JSONSerialization and checks every offset.
import Foundation
import CurateCore

public struct SafetensorsError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String
    public var description: String { "\(path): \(problem); is it a safetensors file written by curate or PyTorch?" }
}

public enum Safetensors {
    /// One tensor to write: its name, shape and Float32 values.
    public struct Entry {
        public let name: String
        public let shape: [Int]
        public let values: UnsafeBufferPointer<Float>
        public init(name: String, shape: [Int], values: UnsafeBufferPointer<Float>) {
            precondition(shape.reduce(1, *) == values.count, "a tensor's shape holds exactly its values.")
            self.name = name; self.shape = shape; self.values = values
        }
    }

    /// The file's bytes: header then data, tensors in the order given.
    public static func encode(_ entries: [Entry], metadata: [String: String]) -> [UInt8] {
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for entry in entries {
            let end = offset + entry.values.count * 4
            fields.append("\(jsonString(entry.name)):{\"dtype\":\"F32\",\"shape\":[\(entry.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array(("{" + fields.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes += header
        for entry in entries { bytes.append(contentsOf: UnsafeRawBufferPointer(entry.values)) }  // x86-64 is little-endian
        return bytes
    }

    /// Writes atomically (temporary name, fsync, rename): a killed writer never leaves half a file.
    public static func write(_ entries: [Entry], metadata: [String: String], to path: String) throws {
        try AtomicFile.write(encode(entries, metadata: metadata), to: path)
    }

    /// A read file: the metadata and each tensor's shape and values.
    public struct File {
        public let metadata: [String: String]
        public let tensors: [String: (shape: [Int], values: [Float])]
        /// Tensor names in the order of their data.
        public let order: [String]
    }

    /// The `__metadata__` of the file at `path`, reading only its header (the report shows a
    /// checkpoint's options without loading its tensors).
    public static func metadata(_ path: String) throws -> [String: String] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw SafetensorsError(path: path, problem: "cannot read the file") }
        defer { try? handle.close() }
        guard let prefix = try handle.read(upToCount: 8), prefix.count == 8 else {
            throw SafetensorsError(path: path, problem: "shorter than the 8-byte header length")
        }
        let headerLength = prefix.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64) ?? 0
        guard headerLength <= size &- 8 else { throw SafetensorsError(path: path, problem: "header length \(headerLength) runs past the end (\(size) bytes)") }
        let header = try handle.read(upToCount: Int(headerLength)) ?? Data()
        guard let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw SafetensorsError(path: path, problem: "the header is not a JSON object")
        }
        guard let fields = object["__metadata__"].map({ $0 as? [String: String] }) ?? [:] else {
            throw SafetensorsError(path: path, problem: "__metadata__ must map strings to strings")
        }
        return fields
    }

    public static func read(_ path: String) throws -> File {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SafetensorsError(path: path, problem: "cannot read the file")
        }
        return try decode([UInt8](data), path: path)
    }

    public static func decode(_ bytes: [UInt8], path: String) throws -> File {
        func fail(_ problem: String) -> SafetensorsError { SafetensorsError(path: path, problem: problem) }
        guard bytes.count >= 8 else { throw fail("shorter than the 8-byte header length") }
        let headerLength = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard headerLength <= UInt64(bytes.count - 8) else { throw fail("header length \(headerLength) runs past the end (\(bytes.count) bytes)") }
        let dataStart = 8 + Int(headerLength), dataLength = bytes.count - dataStart
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart])) as? [String: Any] else {
            throw fail("the header is not a JSON object")
        }
        var metadata: [String: String] = [:], tensors: [String: (shape: [Int], values: [Float])] = [:], spans: [(Int, Int, String)] = []
        for (name, value) in object {
            if name == "__metadata__" {
                guard let fields = value as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
                metadata = fields
                continue
            }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2 else {
                throw fail("tensor '\(name)' lacks dtype, shape or data_offsets")
            }
            guard dtype == "F32" else { throw fail("tensor '\(name)' is \(dtype); curate reads F32 tensors only") }
            let (begin, end) = (offsets[0], offsets[1])
            // Counted in Int128 and no further once past the data: a hostile shape must not overflow.
            var elements = shape.contains(0) ? Int128(0) : Int128(1)
            for n in shape where elements <= Int128(dataLength) { elements *= Int128(n) }
            guard shape.allSatisfy({ $0 >= 0 }), begin >= 0, begin <= end, end <= dataLength, Int128(end - begin) == elements * 4 else {
                throw fail("tensor '\(name)' has offsets \(begin)..<\(end) that do not fit its shape \(shape) inside \(dataLength) data bytes")
            }
            let values = bytes.withUnsafeBytes { raw in
                (0..<((end - begin) / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: dataStart + begin + $0 * 4, as: UInt32.self))) }
            }
            tensors[name] = (shape, values)
            spans.append((begin, end, name))
        }
        spans.sort { $0.0 < $1.0 }
        for (previous, next) in zip(spans, spans.dropFirst()) where next.0 < previous.1 {
            throw fail("tensors '\(previous.2)' and '\(next.2)' overlap")
        }
        return File(metadata: metadata, tensors: tensors, order: spans.map(\.2))
    }

    /// A JSON string literal with the escapes JSON requires.
    static func jsonString(_ s: String) -> String {
        JSONString.quoted(s)
    }
}
