/// Counts of kept records and of drops per reason: a unit's statistics, mergeable across units.
public struct ReasonCounts: Sendable, Equatable {
    public private(set) var kept = 0
    public private(set) var dropped: [DropReason: Int] = [:]

    public init() {}

    public var total: Int { kept + droppedTotal }
    public var droppedTotal: Int { dropped.values.reduce(0, +) }

    public mutating func keep(_ n: Int = 1) { kept += n }
    public mutating func drop(_ reason: DropReason, _ n: Int = 1) { dropped[reason, default: 0] += n }

    /// Adds another unit's counts to these (counts are sums, so merging is order-independent).
    public mutating func merge(_ other: ReasonCounts) {
        kept += other.kept
        for (reason, n) in other.dropped { dropped[reason, default: 0] += n }
    }

    /// `kept N`, then `dropped.<reason> N` per reason, in reason order; one per line.
    public var summaryLines: [String] {
        ["kept \(kept)"] + dropped.keys.sorted().map { "dropped.\($0) \(dropped[$0]!)" }
    }
}
