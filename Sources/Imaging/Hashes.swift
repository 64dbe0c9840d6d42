import CurateCore
import Foundation
import Crypto

/// Content hashes: SHA-256 of the original bytes (exact duplicates) and a 64-bit DCT
/// perceptual hash (near duplicates).
public enum ImageHash {
    /// SHA-256 of `bytes` as 64 lowercase hex digits (swift-crypto's SHA256).
    public static func sha256(_ bytes: UnsafeRawBufferPointer) -> String {
        var hasher = SHA256()
        hasher.update(bufferPointer: bytes)
        return Hex.encode(hasher.finalize())
    }

    /// The DCT pHash as the imagehash library defines it: luma (ITU-R 601), shrunk to 32×32,
    /// a 2-D DCT-II, the 8×8 lowest frequencies (DC included), one bit per coefficient set
    /// when it is above their median; row-major, first coefficient in the highest bit.
    /// curate shrinks by area averaging where imagehash uses Lanczos; see the README.
    public static func perceptual(_ image: RGBImage) -> UInt64 {
        let n = 32, k = 8
        // Shrinking and the luma weighting are both linear, so shrinking the colour image first
        // gives the same plane as imagehash's convert("L").resize() up to rounding, for less work.
        let small = image.resized(.stretch(width: n, height: n))
        var luma = [Double](repeating: 0, count: n * n)
        for p in 0..<(n * n) {
            let r = Double(small.pixels[p * 3]), g = Double(small.pixels[p * 3 + 1]), b = Double(small.pixels[p * 3 + 2])
            luma[p] = 0.299 * r + 0.587 * g + 0.114 * b
        }
        let cosines = DCTTable.shared
        // rows[u][x] = Σ_y cos(u, y) · luma[y][x], for the k lowest vertical frequencies.
        var rows = [Double](repeating: 0, count: k * n)
        for u in 0..<k {
            for y in 0..<n {
                let c = cosines[u * n + y]
                for x in 0..<n { rows[u * n + x] += c * luma[y * n + x] }
            }
        }
        var coefficients = [Double](repeating: 0, count: k * k)
        for u in 0..<k {
            for v in 0..<k {
                var sum = 0.0
                for x in 0..<n { sum += cosines[v * n + x] * rows[u * n + x] }
                coefficients[u * k + v] = sum
            }
        }
        let sorted = coefficients.sorted()
        let median = (sorted[31] + sorted[32]) / 2
        return coefficients.reduce(UInt64(0)) { hash, c in hash << 1 | (c > median ? 1 : 0) }
    }

    /// The colour signature that confirms a pHash match: the image shrunk by area averaging to
    /// 8×8 RGB, 192 bytes, row-major. pHash sees only luma, and on flat images (graphics, product
    /// shots, the synthetic crawl's scenes) unrelated images share hashes; their colours differ.
    public static func colorSignature(_ image: RGBImage) -> [UInt8] {
        image.resized(.stretch(width: signatureSide, height: signatureSide)).pixels
    }

    public static let signatureSide = 8

    /// The mean absolute difference of two colour signatures, per channel value (0–255).
    public static func colorDistance(_ a: [UInt8], _ b: [UInt8]) -> Double {
        precondition(a.count == b.count && !a.isEmpty, "colorDistance needs two signatures of the same, non-zero size.")
        var sum = 0
        for k in a.indices { sum += abs(Int(a[k]) - Int(b[k])) }
        return Double(sum) / Double(a.count)
    }

    /// The number of differing bits between two perceptual hashes.
    public static func hammingDistance(_ a: UInt64, _ b: UInt64) -> Int { (a ^ b).nonzeroBitCount }

    /// A perceptual hash as 16 lowercase hex digits, as imagehash prints it.
    public static func hex(_ hash: UInt64) -> String {
        Hex.encode((0..<8).map { UInt8(truncatingIfNeeded: hash >> (56 - 8 * $0)) })
    }
}

/// cos(π·u·(2x+1)/64) for u, x in 0..<32: the DCT-II basis (scale is irrelevant to a median test).
private enum DCTTable {
    static let shared: [Double] = (0..<32).flatMap { u in
        (0..<32).map { x in cos(Double.pi * Double(u) * Double(2 * x + 1) / 64) }
    }
}
