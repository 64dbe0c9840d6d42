import Imaging
import Testing
import TestSupport

@Suite struct HashTests {
    /// FIPS 180-2's test vectors.
    @Test func sha256KnownVectors() {
        #expect(Array("abc".utf8).withUnsafeBytes { ImageHash.sha256($0) } == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect([UInt8]().withUnsafeBytes { ImageHash.sha256($0) } == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func hammingAndHex() {
        #expect(ImageHash.hammingDistance(0, UInt64.max) == 64)
        #expect(ImageHash.hammingDistance(0b1011, 0b0001) == 2)
        #expect(ImageHash.hex(0x0123_4567_89AB_CDEF) == "0123456789abcdef")
    }

    /// The colour signature: 8×8 RGB; a re-encoded, resized copy stays close, another photo and
    /// the same photo with its colours swapped do not.
    @Test func colorSignatureSeparatesColoursNotCopies() throws {
        let photo = TestImages.photo(width: 320, height: 240, seed: 5)
        let signature = ImageHash.colorSignature(photo)
        #expect(signature.count == 192)
        let copy = try ImageDecoder.decode(photo.resized(.stretch(width: 240, height: 180)).encoded(.jpeg(quality: 60)))
        #expect(ImageHash.colorDistance(signature, ImageHash.colorSignature(copy)) < 3)
        let swapped = RGBImage(width: 320, height: 240, pixels: (0..<photo.pixels.count).map { photo.pixels[$0 - $0 % 3 + 2 - $0 % 3] })
        #expect(ImageHash.colorDistance(signature, ImageHash.colorSignature(swapped)) > 8)
        #expect(ImageHash.colorDistance(signature, ImageHash.colorSignature(TestImages.photo(width: 320, height: 240, seed: 6))) > 8)
        #expect(ImageHash.colorDistance([0, 10], [255, 0]) == 132.5)
    }

    /// Brightening changes the DC coefficient only, so at most the DC bit (and a coefficient
    /// that sat at the median) may flip.
    @Test func brightnessShiftKeepsTheHash() {
        let photo = TestImages.photo(width: 120, height: 90, seed: 12)
        let brighter = RGBImage(width: 120, height: 90, pixels: photo.pixels.map { UInt8(min(255, Int($0) + 12)) })
        #expect(ImageHash.hammingDistance(ImageHash.perceptual(photo), ImageHash.perceptual(brighter)) <= 3)
    }

    /// The bound: a photo re-encoded at JPEG quality 60 and downscaled to 50% stays within
    /// Hamming 8 of the original; different photos are at least 20 apart.
    @Test(.enabled(if: SharedCorpus.isAvailable, "needs ../shared/corpus"))
    func perceptualHashIsRobustAndDiscriminative() throws {
        let photos = SharedCorpus.files("images/valid/photos")
        #expect(photos.count >= 6)
        var hashes: [UInt64] = []
        for url in photos {
            let original = try ImageDecoder.decode(SharedCorpus.bytes(url))
            let hash = ImageHash.perceptual(original)
            let altered = try ImageDecoder.decode(original.encoded(.jpeg(quality: 60)))
                .resized(.stretch(width: original.width / 2, height: original.height / 2))
            let distance = ImageHash.hammingDistance(hash, ImageHash.perceptual(altered))
            #expect(distance <= 8, "\(url.lastPathComponent): \(distance)")
            hashes.append(hash)
        }
        for i in hashes.indices {
            for j in hashes.indices where j > i {
                #expect(ImageHash.hammingDistance(hashes[i], hashes[j]) >= 20, "\(photos[i].lastPathComponent) vs \(photos[j].lastPathComponent)")
            }
        }
    }

    /// Decoding at a reduced JPEG scale (what inspect and the filters do) barely moves the hash.
    @Test func reducedDecodeKeepsTheHash() throws {
        let jpeg = try TestImages.photo(width: 640, height: 480, seed: 11).encoded(.jpeg(quality: 90))
        let full = ImageHash.perceptual(try ImageDecoder.decode(jpeg))
        let reduced = ImageHash.perceptual(try ImageDecoder.decode(jpeg, options: DecodeOptions(target: .stretch(width: 32, height: 32))))
        #expect(ImageHash.hammingDistance(full, reduced) <= 4)
    }
}
