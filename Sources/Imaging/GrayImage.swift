/// An 8-bit grayscale image, rows top to bottom, 1 byte per pixel, no padding.
///
/// CLIPPO's rendered text is one: three equal channels carry no more than one, so curate keeps
/// and stores one (as `KEY.render.png` in the shards) and widens it when the model needs RGB.
public struct GrayImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height, "GrayImage needs width * height bytes.")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public subscript(x: Int, y: Int) -> UInt8 { pixels[y * width + x] }

    /// The same image with three equal channels.
    public var rgb: RGBImage {
        RGBImage.uninitialized(width: width, height: height) { out in
            for (i, value) in pixels.enumerated() {
                out[3 * i] = value; out[3 * i + 1] = value; out[3 * i + 2] = value
            }
        }
    }

    /// The image as an 8-bit grayscale PNG (one channel; every PNG reader widens it to RGB alike).
    public func encodedPNG() throws -> [UInt8] { try PNGCodec.encode(self) }
}
