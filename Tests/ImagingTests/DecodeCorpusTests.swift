import Foundation
import CurateCore
import Imaging
import Testing
import TestSupport

/// Every image in ../shared/corpus/images, decoded by curate and compared with an independent
/// decoder (Pillow; Tests/Golden/pillow-reference.json, written by Tests/Golden/pillow_reference.py).
@Suite(.enabled(if: SharedCorpus.isAvailable, "needs ../shared/corpus"))
struct DecodeCorpusTests {
    /// Valid-folder files curate refuses, each with the reason it gives and why that is right.
    static let refusedValid: [String: (DropReason, String)] = [
        "pngsuite-PngSuite.LICENSE": (.unknownFormat, "not an image: PngSuite's license text, filed beside its images"),
    ]

    /// Where curate's pixels differ from Pillow's on purpose, and by how much (mean per channel).
    static let knownDifferences: [String: (Double, String)] = [:]

    struct Reference: Decodable {
        struct Entry: Decodable { var width: Int?; var height: Int?; var mean: [Double]?; var error: String? }
        var images: [String: Entry]
    }

    static let reference: Reference = {
        let url = SharedCorpus.repositoryRoot.appendingPathComponent("Tests/Golden/pillow-reference.json")
        return try! JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }()

    @Test func everyValidFileDecodesLikePillow() throws {
        let files = SharedCorpus.files("images/valid")
        #expect(files.count >= 150)
        for url in files {
            let name = url.lastPathComponent
            let bytes = SharedCorpus.bytes(url)
            if let (reason, _) = Self.refusedValid[name] {
                #expect { try ImageDecoder.decode(bytes) } throws: { ($0 as? ImagingError)?.reason == reason }
                continue
            }
            let image: RGBImage
            do { image = try ImageDecoder.decode(bytes) } catch {
                Issue.record("\(name) does not decode: \(error)")
                continue
            }
            let key = "images/valid/" + url.deletingLastPathComponent().lastPathComponent + "/" + name
            guard let expected = Self.reference.images[key], let mean = expected.mean else {
                Issue.record("\(name) has no Pillow reference; rerun Tests/Golden/pillow_reference.py")
                continue
            }
            #expect((image.width, image.height) == (expected.width!, expected.height!), "\(name): size differs from Pillow's")
            let tolerance = Self.knownDifferences[name]?.0 ?? 1.5
            let ours = TestImages.mean(image)
            let worst = zip(ours, mean).map { abs($0 - $1) }.max()!
            #expect(worst <= tolerance, "\(name): channel means \(ours) vs Pillow's \(mean) (worst difference \(worst))")
        }
    }

    /// Deliberately broken files: each is refused with a named reason or decoded, never a crash or hang.
    @Test func corruptFilesAreRefusedWithAReason() throws {
        let expected: [String: DropReason] = [
            "jpegdec-empty.jpg": .emptyFile,
            "jpegdec-invalid-dimensions.jpg": .invalidDimensions,
            "pillow-zero_width.gif": .invalidDimensions,
            "pillow-truncated_jpeg.jpg": .truncated,
            "pillow-truncated_image.png": .truncated,
            "pillow-decompression_bomb.gif": .truncated,  // its 10751-px frame ends after the descriptor
            "pngsuite-xs1n0g01.png": .unknownFormat,       // damaged signature
            "pngsuite-xhdn0g08.png": .corrupt,             // IHDR CRC mismatch
            "jpegdec-missing-sos.jpg": .corrupt,
        ]
        let files = SharedCorpus.files("images/corrupt")
        #expect(files.count >= 27)
        var refused = 0
        for url in files {
            let name = url.lastPathComponent
            do {
                let image = try ImageDecoder.decode(SharedCorpus.bytes(url))
                #expect(expected[name] == nil, "\(name) decoded (\(image.width)x\(image.height)) but should be refused")
            } catch let error as ImagingError {
                refused += 1
                if let reason = expected[name] { #expect(error.reason == reason, "\(name): \(error)") }
                #expect(!error.description.isEmpty && !error.description.contains("\n"))
            }
        }
        #expect(refused >= 25)
    }

    /// EXIF orientations 1, 3, 6 and 8 of the same landscape photo decode to the same upright picture.
    @Test func exifOrientationIsApplied() throws {
        let names = ["Landscape_1", "Landscape_3", "Landscape_6", "Landscape_8"]
        let hashes = try names.map { name -> UInt64 in
            let url = SharedCorpus.root!.appendingPathComponent("images/valid/jpeg/exif-orientation-\(name).jpg")
            let image = try ImageDecoder.decode(SharedCorpus.bytes(url))
            #expect((image.width, image.height) == (1800, 1200), "\(name)")
            return ImageHash.perceptual(image)
        }
        for hash in hashes.dropFirst() { #expect(ImageHash.hammingDistance(hash, hashes[0]) <= 4) }
    }
}
