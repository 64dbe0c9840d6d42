import CurateCore
import Imaging
import Testing
import TestSupport

@Suite struct DecodeLimitsTests {
    /// A header declaring 100000 × 100000 is refused from the header, before any allocation.
    @Test func hugePNGIsRefusedBeforeAllocation() {
        let bytes = Crafted.pngHeader(width: 100_000, height: 100_000) + [0, 0, 0, 0]
        #expect { try ImageDecoder.decode(bytes) } throws: {
            guard case .tooManyPixels(.png, 100_000, 100_000, DecodeOptions.defaultMaxPixels)? = $0 as? ImagingError else { return false }
            return true
        }
    }

    @Test func hugeJPEGIsRefusedBeforeAllocation() {
        #expect { try ImageDecoder.decode(Crafted.jpeg(sof: 0xC0, width: 65_000, height: 65_000)) } throws: {
            ($0 as? ImagingError)?.reason == .tooManyPixels
        }
    }

    /// The decompression bomb: a small screen whose first frame declares a huge area.
    @Test func gifFrameLargerThanLimitIsRefused() {
        let bytes = Crafted.gif(screen: 16, frameW: 60_000, frameH: 60_000)
        #expect { try ImageDecoder.decode(bytes) } throws: { ($0 as? ImagingError)?.reason == .tooManyPixels }
    }

    @Test func limitIsConfigurable() throws {
        let bytes = try TestImages.photo(width: 40, height: 30, seed: 3).encoded(.png)
        #expect(try ImageDecoder.decode(bytes, options: DecodeOptions(maxPixels: 1200)).width == 40)
        #expect { try ImageDecoder.decode(bytes, options: DecodeOptions(maxPixels: 1199)) } throws: { ($0 as? ImagingError)?.reason == .tooManyPixels }
    }

    /// 12-bit, lossless and hierarchical JPEGs are valid but not decodable by Debian's 8-bit libjpeg-turbo.
    @Test(arguments: [(0xC1, 12), (0xC3, 8), (0xC7, 8), (0xC5, 8)] as [(UInt8, UInt8)])
    func unusualJPEGsAreUnsupported(marker: UInt8, precision: UInt8) {
        #expect { try ImageDecoder.decode(Crafted.jpeg(sof: marker, precision: precision, width: 16, height: 16)) } throws: {
            ($0 as? ImagingError)?.reason == .unsupportedFormat
        }
    }

    /// Every prefix of a real JPEG, PNG, WebP and GIF is refused with a reason, never a crash.
    @Test func truncatedFilesAreRefused() throws {
        let image = TestImages.photo(width: 64, height: 48, seed: 4)
        for encoding in [EncodedFormat.jpeg(quality: 90), .png, .webp(quality: 70), .webpLossless] {
            let bytes = try image.encoded(encoding)
            for length in stride(from: 1, to: bytes.count - 1, by: max(1, bytes.count / 97)) {
                #expect(throws: ImagingError.self, "\(encoding) cut at \(length) of \(bytes.count)") {
                    try ImageDecoder.decode(Array(bytes.prefix(length)))
                }
            }
        }
    }

    /// Flipping bytes in the middle of files must never crash; the result is an image or a reason.
    @Test func corruptedBytesNeverCrash() throws {
        let image = TestImages.photo(width: 64, height: 48, seed: 5)
        var rng = SplitMix(99)
        for encoding in [EncodedFormat.jpeg(quality: 90), .png, .webp(quality: 70)] {
            let clean = try image.encoded(encoding)
            for _ in 0..<60 {
                var bytes = clean
                for _ in 0..<4 { bytes[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
                _ = try? ImageDecoder.decode(bytes)
            }
        }
    }

    /// PngSuite's tbwn0g16 has a transparent grey (tRNS) background: it comes out white; the
    /// alpha WebPs and GIFs in the corpus are checked against Pillow composited on white.
    @Test(.enabled(if: SharedCorpus.isAvailable, "needs ../shared/corpus"))
    func alphaIsCompositedOnWhite() throws {
        let url = SharedCorpus.root!.appendingPathComponent("images/valid/png/pngsuite-tbwn0g16.png")
        #expect(try ImageDecoder.decode(SharedCorpus.bytes(url))[0, 0] == .white)
    }
}
