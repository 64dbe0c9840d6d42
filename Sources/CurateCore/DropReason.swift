/// A stable, named reason why a record (a page, an image, a pair) was skipped or dropped.
///
/// Reasons are counted as `dropped.<reason>` and stored in the catalog, so their raw values are
/// part of curate's interface: never rename one. A filter rule's name is its reason.
public struct DropReason: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
    public static func < (a: DropReason, b: DropReason) -> Bool { a.rawValue < b.rawValue }
}

extension DropReason {
    // Images: reading and decoding.
    /// The file is empty.
    public static let emptyFile = DropReason("empty_file")
    /// The bytes are not PNG, JPEG, WebP or GIF.
    public static let unknownFormat = DropReason("unknown_format")
    /// A known format whose header or data ends early.
    public static let truncated = DropReason("truncated")
    /// A header with a zero or otherwise impossible width or height.
    public static let invalidDimensions = DropReason("invalid_dimensions")
    /// The declared pixel count is above the limit; refused before any large allocation.
    public static let tooManyPixels = DropReason("too_many_pixels")
    /// A valid file of a kind the decoder does not handle (12-bit or lossless JPEG, for example).
    public static let unsupportedFormat = DropReason("unsupported_format")
    /// The decoder rejected the data (bad chunk, bad Huffman code, CRC mismatch, ...).
    public static let corrupt = DropReason("corrupt")
    /// The file could not be read at all (missing, a directory, permission denied).
    public static let unreadable = DropReason("unreadable")
}

/// An error that stands for a drop reason: stages that receive errors from another stage's code
/// (through a closure the caller passes) count them under `reason` without knowing their type.
public protocol ReasonedError: Error, CustomStringConvertible {
    var reason: DropReason { get }
}
