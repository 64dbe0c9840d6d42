import CurateCore

/// Made-up words drawn with Zipf-like frequencies (word k with weight 1/(k+1)), for the generated
/// benchmark catalogs: `count` words built from syllables, `infix` and k mod `modulus`.
struct ZipfWords {
    let words: [String]
    private let cumulative: [Double]

    init(count: Int, infix: String, modulus: Int) {
        let syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "de", "pa", "ri", "zo", "be", "fu", "gi", "ha"]
        words = (0..<count).map { k in
            (0..<(2 + k % 3)).map { syllables[(k / (1 + $0 * 7) + $0 * 5) % syllables.count] }.joined() + infix + String(k % modulus)
        }
        var sums: [Double] = []
        for k in 0..<count { sums.append((sums.last ?? 0) + 1 / Double(k + 1)) }
        cumulative = sums
    }

    /// One word, drawn from `rng` (binary search in the cumulative weights).
    func next(_ rng: inout SeededRNG) -> String {
        let u = Double(rng.next() % 1_000_000) / 1e6 * cumulative.last!
        var lo = 0, hi = cumulative.count - 1
        while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] < u { lo = mid + 1 } else { hi = mid } }
        return words[lo]
    }
}
