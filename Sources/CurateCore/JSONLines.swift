import Foundation

/// JSON lines, as units and the engine exchange them: one object per line, keys sorted, slashes
/// not escaped (the same values always give the same bytes).
public enum JSONLines {
    public static func encode<T: Encodable>(_ values: some Sequence<T>) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var out: [UInt8] = []
        for value in values { out += try encoder.encode(value); out.append(0x0A) }
        return out
    }

    /// The lines of `bytes` as `T`; a line that is not one is an error naming `source` and the line.
    public static func decode<T: Decodable>(_ type: T.Type, _ bytes: some Sequence<UInt8>, source: String) throws -> [T] {
        let decoder = JSONDecoder()
        var out: [T] = []
        for (n, line) in Array(bytes).split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            do { out.append(try decoder.decode(T.self, from: Data(line))) } catch {
                throw Failure(description: "\(source) line \(n + 1) is not a \(T.self): \(error)")
            }
        }
        return out
    }

    public static func read<T: Decodable>(_ type: T.Type, path: String) throws -> [T] {
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure(description: "cannot read \(path); did the engine write it?") }
        return try decode(type, data, source: path)
    }

    public struct Failure: Error, CustomStringConvertible, Sendable { public var description: String }
}
