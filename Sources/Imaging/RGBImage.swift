/// An 8-bit RGB image, rows top to bottom, 3 bytes per pixel, no padding.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "RGBImage needs width * height * 3 bytes.")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image filled with one colour.
    public init(width: Int, height: Int, fill: RGB = .white) {
        self.width = width
        self.height = height
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in stride(from: 0, to: pixels.count, by: 3) {
            pixels[i] = fill.r; pixels[i + 1] = fill.g; pixels[i + 2] = fill.b
        }
        self.pixels = pixels
    }

    /// Builds an image by letting `body` write all `width * height * 3` bytes.
    static func uninitialized(width: Int, height: Int, _ body: (UnsafeMutableBufferPointer<UInt8>) throws -> Void) rethrows -> RGBImage {
        let count = width * height * 3
        let pixels = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            try body(buffer)
            initialized = count
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    public subscript(x: Int, y: Int) -> RGB {
        let i = (y * width + x) * 3
        return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
    }
}

/// One 8-bit RGB colour.
public struct RGB: Sendable, Equatable, Hashable {
    public var r, g, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }
    public static let white = RGB(255, 255, 255)
    public static let black = RGB(0, 0, 0)
}

/// Composites straight (non-premultiplied) RGBA onto white: out = c·a + 255·(1 − a), rounded.
/// curate documents this choice: transparent areas become white, as in most thumbnails on the web.
func compositeOnWhite(rgba: UnsafeBufferPointer<UInt8>, into rgb: UnsafeMutableBufferPointer<UInt8>, pixels: Int) {
    for p in 0..<pixels {
        let a = UInt32(rgba[p * 4 + 3]), inverse = 255 - a
        for c in 0..<3 {
            rgb[p * 3 + c] = UInt8((UInt32(rgba[p * 4 + c]) * a + 255 * inverse + 127) / 255)
        }
    }
}
