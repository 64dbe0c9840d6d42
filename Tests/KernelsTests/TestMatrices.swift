/// Seeded matrices and transposes for the product tests (BLASTests, BF16Tests).
enum TestMatrices {
    /// `count` values in [-1, 1] in steps of 1/1000, from a linear congruential generator.
    static func values(_ count: Int, seed start: UInt64) -> [Float] {
        var seed = start
        return (0..<count).map { _ in
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int(seed >> 40) % 2001 - 1000) / 1000
        }
    }

    /// x (rows, columns) row-major, transposed to (columns, rows).
    static func transposed(_ x: [Float], rows: Int, columns: Int) -> [Float] {
        (0..<(rows * columns)).map { i in x[(i % rows) * columns + i / rows] }
    }
}
