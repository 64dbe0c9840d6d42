// The files beside the report's page: thumbnails of images (JPEG, longer side at most 160 px,
// never enlarged) and copies of rendered captions, all in `images/`, each written once.
import Foundation
import CurateCore
import Imaging

final class Assets {
    let folder: String
    private var written: [String: String?] = [:]
    private(set) var count = 0
    /// The first write that failed (a full disk): the report is not complete, so it is not put in place.
    private(set) var writeError: String?

    /// Writes `bytes` to `images/`-relative `path`; false (and `writeError` set) when it fails.
    private func store(_ bytes: [UInt8], at path: String) -> Bool {
        do { try Data(bytes).write(to: URL(fileURLWithPath: folder + "/" + path)) } catch {
            writeError = writeError ?? "\(folder)/\(path): \(writeFailureReason(error))"
            return false
        }
        Fault.point()
        return true
    }

    /// The longest side of a thumbnail, in pixels.
    static let thumbnailSide = 160

    init(folder: String) throws {
        self.folder = folder
        try FileManager.default.createDirectory(atPath: folder + "/images", withIntermediateDirectories: true)
    }

    /// The page-relative path of a thumbnail of encoded image `bytes`, written as `images/NAME.jpg`;
    /// nil when the bytes do not decode (the page then says so instead of showing a broken image).
    func thumbnail(_ bytes: [UInt8], name: String) -> String? {
        let path = "images/\(name).jpg"
        if let done = written[path] { return done }
        let result: String? = bytes.withUnsafeBytes { raw in
            guard let info = try? ImageProbe.probe(raw), info.width > 0, info.height > 0 else { return nil }
            let mode: ResizeMode = max(info.width, info.height) > Self.thumbnailSide ? .longerSide(Self.thumbnailSide) : .stretch(width: info.width, height: info.height)
            guard let encoded = try? Thumbnailer.thumbnail(raw, mode: mode, format: .jpeg(quality: 85)).encoded,
                  store(encoded, at: path) else { return nil }
            return path
        }
        written[path] = result
        if result != nil { count += 1 }
        return result
    }

    /// The page-relative path of `bytes` copied as `images/NAME` (a rendered caption's PNG).
    func copy(_ bytes: [UInt8], name: String) -> String? {
        let path = "images/\(name)"
        if let done = written[path] { return done }
        let result = store(bytes, at: path) ? path : nil
        written[path] = result
        if result != nil { count += 1 }
        return result
    }
}
