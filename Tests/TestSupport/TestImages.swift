import Foundation
import Imaging

/// Deterministic, photo-like test images: smooth colour fields, hard-edged shapes and mild
/// noise, so that codecs and hashes see something like a real photo, from a seed.
public enum TestImages {
    public static func photo(width: Int, height: Int, seed: UInt64) -> RGBImage {
        var rng = SplitMix(seed)
        let phases = (0..<9).map { _ in rng.unit() * 6.28 }
        let shapes = (0..<6).map { _ in (x: rng.unit(), y: rng.unit(), r: 0.05 + 0.2 * rng.unit(), colour: (rng.unit(), rng.unit(), rng.unit()), round: rng.unit() < 0.5) }
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let u = Double(x) / Double(width), v = Double(y) / Double(height)
                var c = (0..<3).map { k in 0.5 + 0.25 * sin(6 * u + phases[k]) * cos(5 * v + phases[k + 3]) + 0.15 * sin(17 * (u + v) + phases[k + 6]) }
                for s in shapes {
                    let dx = u - s.x, dy = (v - s.y) * Double(height) / Double(width)
                    let inside = s.round ? dx * dx + dy * dy < s.r * s.r : abs(dx) < s.r && abs(dy) < s.r
                    if inside { c = [s.colour.0, s.colour.1, s.colour.2] }
                }
                for k in 0..<3 {
                    let noise = (rng.unit() - 0.5) * 0.04
                    pixels[(y * width + x) * 3 + k] = UInt8(max(0, min(255, (c[k] + noise) * 255)))
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Peak signal-to-noise ratio in dB between two images of the same size.
    public static func psnr(_ a: RGBImage, _ b: RGBImage) -> Double {
        precondition(a.width == b.width && a.height == b.height, "psnr needs images of the same size.")
        var squared = 0.0
        for i in a.pixels.indices { let d = Double(a.pixels[i]) - Double(b.pixels[i]); squared += d * d }
        let mse = squared / Double(a.pixels.count)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }

    /// The largest absolute difference of any channel of any pixel.
    public static func maxDifference(_ a: RGBImage, _ b: RGBImage) -> Int {
        precondition(a.pixels.count == b.pixels.count, "maxDifference needs images of the same size.")
        return zip(a.pixels, b.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
    }

    /// Mean of each channel.
    public static func mean(_ image: RGBImage) -> [Double] {
        var sums = [0.0, 0.0, 0.0]
        for i in image.pixels.indices { sums[i % 3] += Double(image.pixels[i]) }
        return sums.map { $0 / Double(image.width * image.height) }
    }
}

/// SplitMix64: a tiny, well-known seeded generator for test data.
public struct SplitMix {
    private var state: UInt64
    public init(_ seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A Double in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// The images in samples/images, which `make demo` inspects. They are written by this code, so
/// a test can check that the committed files are exactly what it produces.
public enum SampleImages {
    public static func files() throws -> [(name: String, bytes: [UInt8])] {
        let scene = TestImages.photo(width: 320, height: 240, seed: 2026)
        let jpeg = try scene.encoded(.jpeg(quality: 85))
        return [
            ("scene.jpg", jpeg),
            ("scene.png", try TestImages.photo(width: 160, height: 120, seed: 7).encoded(.png)),
            ("scene.webp", try scene.encoded(.webp(quality: 80))),
            // Cut short on purpose, so the demo shows a named reason: truncated.
            ("truncated.jpg", Array(jpeg.prefix(jpeg.count / 2))),
        ]
    }
}
