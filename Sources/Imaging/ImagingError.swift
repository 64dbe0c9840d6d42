import CurateCore

/// Why an image could not be probed, decoded or encoded.
///
/// Each case maps to a stable `DropReason`; the description is one line that says what went
/// wrong and ends with what to do about it. The caller adds the path or record it came from.
public enum ImagingError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    /// The first bytes match no known signature; `magic` is up to 8 of them in hex.
    case unknownFormat(magic: String)
    /// The data ended while reading `what`.
    case truncated(ImageFormat, what: String)
    case invalidDimensions(ImageFormat, width: Int, height: Int)
    case tooManyPixels(ImageFormat, width: Int, height: Int, limit: Int)
    /// A valid image of a kind this decoder does not handle.
    case unsupported(ImageFormat, String)
    /// The codec library rejected the data; `message` is the library's own words.
    case corrupt(ImageFormat, message: String)
    case encodeFailed(ImageFormat, message: String)

    /// The drop reason under which this failure is counted.
    public var reason: DropReason {
        switch self {
        case .empty: .emptyFile
        case .unknownFormat: .unknownFormat
        case .truncated: .truncated
        case .invalidDimensions: .invalidDimensions
        case .tooManyPixels: .tooManyPixels
        case .unsupported: .unsupportedFormat
        case .corrupt, .encodeFailed: .corrupt
        }
    }

    public var description: String {
        switch self {
        case .empty:
            "empty file: there are no bytes to read; check that the download or extraction completed"
        case .unknownFormat(let magic):
            "unknown image format (first bytes \(magic)): curate reads PNG, JPEG, WebP and GIF; convert the file or drop it"
        case .truncated(let format, let what):
            "truncated \(format.rawValue): the data ends inside \(what); the file was cut short, re-fetch it if you can"
        case .invalidDimensions(let format, let width, let height):
            "invalid \(format.rawValue) dimensions \(width)x\(height): the header is damaged; the image cannot be used"
        case .tooManyPixels(let format, let width, let height, let limit):
            "\(format.rawValue) declares \(width)x\(height) = \(width * height) pixels, over the limit of \(limit); raise --max-pixels if the image is genuine"
        case .unsupported(let format, let what):
            "unsupported \(format.rawValue): \(what); convert it to 8-bit baseline or progressive first"
        case .corrupt(let format, let message):
            "corrupt \(format.rawValue): \(message); the file is damaged and cannot be used"
        case .encodeFailed(let format, let message):
            "cannot encode \(format.rawValue): \(message); this is a bug in the caller, please report it"
        }
    }
}
