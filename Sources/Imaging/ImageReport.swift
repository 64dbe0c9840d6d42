import CurateCore

/// What `curate inspect` prints for one file: one JSON object per line.
public struct ImageReport: Codable, Sendable, Equatable {
    public var path: String
    public var format: String?
    /// The displayed size (EXIF orientation applied), from the header.
    public var width: Int?
    public var height: Int?
    /// For JPEG, the coding process ("baseline", "progressive", ...).
    public var encoding: String?
    public var decodes: Bool
    /// The drop reason when the file does not decode.
    public var reason: String?
    /// The one-line explanation when the file does not decode.
    public var error: String?
    public var bytes: Int?
    public var sha256: String?
    /// The 64-bit DCT perceptual hash in hex, when the file decodes.
    public var phash: String?

    /// A report for a file that could not be read at all.
    public static func unreadable(path: String, error: String) -> ImageReport {
        ImageReport(path: path, decodes: false, reason: DropReason.unreadable.rawValue, error: error)
    }

    /// Probes, decodes (at the reduced scale the 32×32 pHash needs) and hashes `bytes`.
    /// Never throws: every failure becomes `decodes: false` with a reason.
    public static func inspect(_ bytes: UnsafeRawBufferPointer, path: String, options: DecodeOptions = DecodeOptions()) -> ImageReport {
        var report = ImageReport(path: path, decodes: false, bytes: bytes.count, sha256: ImageHash.sha256(bytes))
        do {
            let info = try ImageProbe.probe(bytes)
            report.format = info.format.rawValue
            report.width = info.width
            report.height = info.height
            report.encoding = info.jpegFrame?.process
            var reduced = options
            reduced.target = .stretch(width: 32, height: 32)
            let image = try ImageDecoder.decode(bytes, info: info, options: reduced)
            report.decodes = true
            report.phash = ImageHash.hex(ImageHash.perceptual(image))
        } catch let error as ImagingError {
            report.reason = error.reason.rawValue
            report.error = error.description
        } catch {
            report.reason = DropReason.corrupt.rawValue
            report.error = "\(error)"
        }
        return report
    }
}
