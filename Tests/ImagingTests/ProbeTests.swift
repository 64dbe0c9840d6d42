import CurateCore
import Imaging
import Testing
import TestSupport

@Suite struct ProbeTests {
    /// Every start-of-frame marker: baseline, extended, progressive, lossless, hierarchical, arithmetic.
    @Test(arguments: [0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF] as [UInt8])
    func jpegStartOfFrame(marker: UInt8) throws {
        let info = try ImageProbe.probe(Crafted.jpeg(sof: marker, width: 1234, height: 567))
        #expect(info.format == .jpeg)
        #expect((info.width, info.height) == (1234, 567))
        #expect(info.jpegFrame?.marker == marker)
    }

    @Test func jpegProcessNames() throws {
        #expect(try ImageProbe.probe(Crafted.jpeg(sof: 0xC0, width: 8, height: 8)).jpegFrame?.process == "baseline")
        #expect(try ImageProbe.probe(Crafted.jpeg(sof: 0xC2, width: 8, height: 8)).jpegFrame?.process == "progressive")
        #expect(try ImageProbe.probe(Crafted.jpeg(sof: 0xC1, precision: 12, width: 8, height: 8)).jpegFrame?.process == "extended-12bit")
        #expect(try ImageProbe.probe(Crafted.jpeg(sof: 0xC3, width: 8, height: 8)).jpegFrame?.process == "lossless")
        #expect(try ImageProbe.probe(Crafted.jpeg(sof: 0xCA, width: 8, height: 8)).jpegFrame?.process == "progressive-arithmetic")
    }

    /// Markers that share the SOF range but are not frames (DHT, JPG, DAC) are skipped, not read as sizes.
    @Test func jpegSkipsNonFrameMarkersInRange() throws {
        var bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xC4, 0x00, 0x06, 1, 2, 3, 4, 0xFF, 0xCC, 0x00, 0x04, 9, 9]
        bytes += Crafted.jpeg(sof: 0xC0, width: 300, height: 200).dropFirst(2)
        #expect(try ImageProbe.probe(bytes).width == 300)
    }

    @Test func jpegOrientationSwapsDisplayedSides() throws {
        let info = try ImageProbe.probe(Crafted.jpeg(sof: 0xC0, width: 400, height: 300, orientation: 6))
        #expect(info.orientation == 6)
        #expect((info.storedWidth, info.storedHeight) == (400, 300))
        #expect((info.width, info.height) == (300, 400))
    }

    @Test func jpegJunkBeforeMarkerIsSkipped() throws {
        #expect(try ImageProbe.probe(Crafted.jpeg(sof: 0xC0, width: 64, height: 48, junk: 5)).height == 48)
    }

    @Test func formatsOfEncodedImages() throws {
        let image = TestImages.photo(width: 37, height: 23, seed: 1)
        let cases: [(EncodedFormat, ImageFormat)] = [(.jpeg(quality: 90), .jpeg), (.png, .png), (.webp(quality: 80), .webp), (.webpLossless, .webp)]
        for (encoding, format) in cases {
            let info = try ImageProbe.probe(try image.encoded(encoding))
            #expect(info.format == format)
            #expect((info.width, info.height) == (37, 23), "\(encoding)")
        }
    }

    @Test func gifLogicalScreen() throws {
        let info = try ImageProbe.probe(Crafted.gif(screen: 300, frameW: 10, frameH: 10))
        #expect((info.format, info.width, info.height) == (.gif, 300, 300))
    }

    @Test func emptyAndUnknown() {
        #expect(throws: ImagingError.empty) { try ImageProbe.probe([UInt8]()) }
        #expect { try ImageProbe.probe(Array("<html>".utf8)) } throws: { ($0 as? ImagingError)?.reason == .unknownFormat }
    }

    @Test func zeroDimensionsAreInvalid() {
        #expect { try ImageProbe.probe(Crafted.jpeg(sof: 0xC0, width: 0, height: 10)) } throws: { ($0 as? ImagingError)?.reason == .invalidDimensions }
        #expect { try ImageProbe.probe(Crafted.pngHeader(width: 10, height: 0)) } throws: { ($0 as? ImagingError)?.reason == .invalidDimensions }
    }

    /// Every prefix of every header is answered with an error or a result, never a trap.
    @Test func everyTruncatedHeaderIsAnError() throws {
        let image = TestImages.photo(width: 20, height: 10, seed: 2)
        let files = [Crafted.jpeg(sof: 0xC2, width: 20, height: 10, orientation: 3), Crafted.pngHeader(width: 20, height: 10),
                     try image.encoded(.webp(quality: 50)), try image.encoded(.webpLossless), Crafted.gif(screen: 20, frameW: 4, frameH: 4)]
        for file in files {
            for length in 1..<min(file.count, 40) {
                do {
                    _ = try ImageProbe.probe(Array(file.prefix(length)))
                } catch let error as ImagingError {
                    #expect([.truncated, .corrupt, .unknownFormat].contains(error.reason), "prefix \(length): \(error)")
                }
            }
        }
        // 9 bytes end inside the frame header (the probe needs 12: up to the component count).
        #expect { try ImageProbe.probe(Array(Crafted.jpeg(sof: 0xC0, width: 20, height: 10).prefix(9))) } throws: {
            ($0 as? ImagingError)?.reason == .truncated
        }
    }

    @Test(.enabled(if: SharedCorpus.isAvailable, "needs ../shared/corpus"))
    func probeAgreesWithDecodeOnRealFiles() throws {
        for url in SharedCorpus.files("images/valid") where !url.lastPathComponent.hasSuffix(".LICENSE") {
            let bytes = SharedCorpus.bytes(url)
            let info = try ImageProbe.probe(bytes)
            let image = try ImageDecoder.decode(bytes)
            #expect((info.width, info.height) == (image.width, image.height), "\(url.lastPathComponent)")
        }
    }
}
