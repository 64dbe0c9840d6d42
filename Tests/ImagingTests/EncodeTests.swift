import Imaging
import Testing
import TestSupport

@Suite struct EncodeTests {
    let photo = TestImages.photo(width: 256, height: 192, seed: 10)

    @Test func losslessRoundTripsAreExact() throws {
        #expect(try ImageDecoder.decode(photo.encoded(.png)) == photo)
        #expect(try ImageDecoder.decode(photo.encoded(.webpLossless)) == photo)
    }

    @Test func grayPNGsAreOneChannelAndDecodeToEqualChannels() throws {
        let gray = GrayImage(width: 5, height: 3, pixels: (0..<15).map { UInt8($0 * 17) })
        let png = try gray.encodedPNG()
        #expect(png[25] == 0)  // IHDR colour type 0: grayscale
        #expect(try ImageDecoder.decode(png) == gray.rgb)
        #expect(gray.rgb[4, 2] == RGB(238, 238, 238))
    }

    /// Measured on this test photo, whose per-pixel colour noise and hard colour edges are what
    /// chroma subsampling loses: JPEG q95 4:2:0 32.7 dB, q95 4:4:4 38.7, q60 30.4, WebP q90 32.6.
    /// Each bound sits about 0.7 dB below, so a codec regression (or a colour-conversion bug,
    /// which costs 10 dB or more) fails while libjpeg-turbo patch releases do not.
    @Test func lossyRoundTripsKeepQuality() throws {
        let cases: [(EncodedFormat, Double)] = [(.jpeg(quality: 95), 32), (.jpeg(quality: 95, chroma420: false), 38),
                                                (.jpeg(quality: 60), 29.7), (.webp(quality: 90), 31.8)]
        for (format, bound) in cases {
            let decoded = try ImageDecoder.decode(photo.encoded(format))
            let psnr = TestImages.psnr(decoded, photo)
            #expect(psnr >= bound, "\(format): \(psnr) dB")
        }
    }

    @Test func higherQualityIsLargerAndCloser() throws {
        let low = try photo.encoded(.jpeg(quality: 50)), high = try photo.encoded(.jpeg(quality: 95))
        #expect(high.count > low.count)
        #expect(TestImages.psnr(try ImageDecoder.decode(high), photo) > TestImages.psnr(try ImageDecoder.decode(low), photo))
    }
}
