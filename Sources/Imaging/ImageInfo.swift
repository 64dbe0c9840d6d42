/// What an image's header says, read without decoding any pixels.
public struct ImageInfo: Sendable, Equatable {
    public var format: ImageFormat
    /// The size of the pixel grid as stored in the file.
    public var storedWidth: Int
    public var storedHeight: Int
    /// EXIF orientation (1...8; 1 is upright). Only JPEG carries one here.
    public var orientation: Int = 1
    /// For JPEG: the start-of-frame that decides how it is coded.
    public var jpegFrame: JPEGFrame?
    /// WebP with an animation (decoded as its first frame).
    public var animated: Bool = false

    /// Width as displayed, with the EXIF orientation applied (orientations 5-8 swap the sides).
    public var width: Int { orientation >= 5 ? storedHeight : storedWidth }
    public var height: Int { orientation >= 5 ? storedWidth : storedHeight }
    public var pixelCount: Int { storedWidth * storedHeight }
}

/// A JPEG start-of-frame marker (SOF0...SOF15) and what it implies for decoding.
public struct JPEGFrame: Sendable, Equatable {
    /// The marker's second byte: 0xC0 (baseline) ... 0xCF.
    public var marker: UInt8
    /// Bits per sample: 8 for nearly every JPEG; 12 and 16 exist.
    public var precision: Int
    public var components: Int

    public var isProgressive: Bool { [0xC2, 0xC6, 0xCA, 0xCE].contains(marker) }
    public var isLossless: Bool { [0xC3, 0xC7, 0xCB, 0xCF].contains(marker) }
    public var isArithmetic: Bool { marker >= 0xC9 }
    /// Differential (hierarchical) frames: SOF5-7 and SOF13-15.
    public var isHierarchical: Bool { [0xC5, 0xC6, 0xC7, 0xCD, 0xCE, 0xCF].contains(marker) }

    /// A short name for the coding process: "baseline", "progressive", "lossless", ...
    public var process: String {
        var name = isLossless ? "lossless" : isProgressive ? "progressive" : marker == 0xC0 ? "baseline" : "extended"
        if isHierarchical { name = "hierarchical-" + name }
        if isArithmetic { name += "-arithmetic" }
        return precision == 8 ? name : "\(name)-\(precision)bit"
    }
}
