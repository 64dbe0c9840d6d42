import Imaging
import Testing
import TestSupport

@Suite struct ResizeTests {
    static func grey(_ values: [UInt8], width: Int) -> RGBImage {
        RGBImage(width: width, height: values.count / width, pixels: values.flatMap { [$0, $0, $0] })
    }
    static func greys(_ image: RGBImage) -> [UInt8] { stride(from: 0, to: image.pixels.count, by: 3).map { image.pixels[$0] } }

    /// Area averaging by hand: 4 → 2 averages pairs; 3 → 2 gives (a + b/2)/1.5 and (b/2 + c)/1.5.
    @Test func areaAveragingMatchesHandComputedValues() {
        let four = Self.grey([0, 100, 200, 50], width: 4).resized(.stretch(width: 2, height: 1))
        #expect(Self.greys(four) == [50, 125])
        let three = Self.grey([30, 90, 210], width: 3).resized(.stretch(width: 2, height: 1))
        // (30 + 45) / 1.5 = 50; (45 + 210) / 1.5 = 170
        #expect(Self.greys(three) == [50, 170])
        let square = Self.grey([10, 20, 30, 40,
                                50, 60, 70, 80], width: 4).resized(.stretch(width: 2, height: 1))
        // (10 + 20 + 50 + 60) / 4 = 35; (30 + 40 + 70 + 80) / 4 = 55
        #expect(Self.greys(square) == [35, 55])
    }

    /// Enlarging is bilinear: 2 → 4 puts samples at -0.25, 0.25, 0.75, 1.25 (clamped at the edges).
    @Test func bilinearEnlargingMatchesHandComputedValues() {
        let up = Self.grey([0, 200], width: 2).resized(.stretch(width: 4, height: 1))
        #expect(Self.greys(up) == [0, 50, 150, 200])
    }

    @Test func flatImagesStayFlat() {
        let flat = RGBImage(width: 97, height: 61, fill: RGB(12, 200, 77))
        for mode in [ResizeMode.centerCrop(32), .shorterSide(50), .longerSide(200), .stretch(width: 13, height: 7), .centerCrop(20, shorterSide: 24)] {
            let out = flat.resized(mode)
            #expect(Set(stride(from: 0, to: out.pixels.count, by: 3).map { RGB(out.pixels[$0], out.pixels[$0 + 1], out.pixels[$0 + 2]) }) == [RGB(12, 200, 77)], "\(mode)")
        }
    }

    @Test func outputSizes() {
        let image = RGBImage(width: 1024, height: 768, fill: .black)
        #expect(image.resized(.centerCrop(224)).width == 224)
        #expect(image.resized(.centerCrop(224, shorterSide: 256)).height == 224)
        let shorter = image.resized(.shorterSide(256))
        #expect((shorter.width, shorter.height) == (341, 256))
        let longer = image.resized(.longerSide(256))
        #expect((longer.width, longer.height) == (256, 192))
        let stretched = image.resized(.stretch(width: 224, height: 224))
        #expect((stretched.width, stretched.height) == (224, 224))
    }

    @Test func padCentresOnTheFillColour() {
        let image = RGBImage(width: 40, height: 20, fill: .black).resized(.pad(20, fill: .white))
        #expect((image.width, image.height) == (20, 20))
        #expect(image[10, 0] == .white && image[10, 19] == .white)   // bands above and below
        #expect(image[10, 10] == .black)
    }

    /// The crop window is computed directly: it equals resizing everything, then cropping.
    @Test func centreCropEqualsResizeThenCrop() {
        let photo = TestImages.photo(width: 300, height: 200, seed: 8)
        let direct = photo.resized(.centerCrop(100, shorterSide: 120))
        let whole = photo.resized(.shorterSide(120))  // 180 × 120
        let x0 = (whole.width - 100) / 2, y0 = (whole.height - 100) / 2
        var cropped: [UInt8] = []
        for y in y0..<(y0 + 100) { cropped += whole.pixels[((y * whole.width + x0) * 3)..<((y * whole.width + x0 + 100) * 3)] }
        #expect(direct.pixels == cropped)
    }

    /// The thumbnail path decodes a reduced-scale window of the JPEG; it must match decoding the
    /// whole image at that scale and resizing it, pixel for pixel.
    @Test(arguments: [ResizeMode.centerCrop(224, shorterSide: 256), .centerCrop(64), .shorterSide(100), .pad(90, fill: .white), .stretch(width: 50, height: 80)])
    func regionDecodeMatchesWholeDecode(mode: ResizeMode) throws {
        let jpeg = try TestImages.photo(width: 800, height: 600, seed: 9).encoded(.jpeg(quality: 90))
        let fast = try jpeg.withUnsafeBytes { try Thumbnailer.thumbnail($0, mode: mode, format: .png).image }
        let info = try ImageProbe.probe(jpeg)
        let whole = try jpeg.withUnsafeBytes { try ImageDecoder.decode($0, info: info, options: DecodeOptions(target: mode)) }
        let slow = whole.resized(mode)
        #expect((fast.width, fast.height) == (slow.width, slow.height))
        #expect(TestImages.maxDifference(fast, slow) <= 1, "\(mode)")
    }

    /// Downscaling is anti-aliased: 1-px black/white stripes shrunk by 3.2 average to grey. Each
    /// output covers 3.2 stripes, so it holds 1 to 2.2 white ones: between 255/3.2 = 80 and
    /// 255·2.2/3.2 = 175 (point sampling would give 0s and 255s), and 127.5 on average.
    @Test func downscalingIsAntiAliased() {
        let stripes = Self.grey((0..<(64 * 4)).map { $0 % 2 == 0 ? 0 : 255 }, width: 64)
        let out = Self.greys(stripes.resized(.stretch(width: 20, height: 4)))
        #expect(out.allSatisfy { (80...176).contains($0) }, "\(out)")
        let mean = Double(out.map(Int.init).reduce(0, +)) / Double(out.count)
        #expect(abs(mean - 127.5) < 2)
    }
}

/// The region path on every real JPEG (progressive, grey, CMYK, EXIF-rotated, junk before markers):
/// the same pixels as decoding the whole image at that scale and resizing.
@Test(.enabled(if: SharedCorpus.isAvailable, "needs ../shared/corpus"))
func regionDecodeMatchesWholeDecodeOnRealJPEGs() throws {
    for url in SharedCorpus.files("images/valid") where url.pathExtension == "jpg" {
        let bytes = SharedCorpus.bytes(url)
        let info = try ImageProbe.probe(bytes)
        for mode in [ResizeMode.centerCrop(64), .centerCrop(24, shorterSide: 32)] {
            let fast = try bytes.withUnsafeBytes { try Thumbnailer.thumbnail($0, mode: mode, format: .png).image }
            let slow = try bytes.withUnsafeBytes { try ImageDecoder.decode($0, info: info, options: DecodeOptions(target: mode)) }.resized(mode)
            #expect(fast.width == slow.width && fast.height == slow.height, "\(url.lastPathComponent)")
            #expect(TestImages.maxDifference(fast, slow) <= 1, "\(url.lastPathComponent) \(mode)")
        }
    }
}
