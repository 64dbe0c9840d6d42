/// Why `curate build-shards` could not run; one line each, ending with what to do.
public enum ShardsError: Error, Equatable, Sendable, CustomStringConvertible {
    case noCatalog(path: String)
    case notFiltered
    case catalog(String)
    /// The catalog could not be opened (Catalog's one line).
    case catalogRefused(String)
    case cannotWrite(path: String, message: String, diskFull: Bool)
    case shardTooLarge(String)
    /// A unit's files (samples, plans) are not what this version writes.
    case unit(String)

    public var description: String {
        switch self {
        case .noCatalog(let path): "no catalog at \(path); run curate crawl-dump first, or pass --work with the folder that holds catalog.sqlite"
        case .notFiltered: "the catalog has no filter decisions yet; run curate filter first (shards hold what it keeps)"
        case .catalogRefused(let message): message
        case .catalog(let message): "catalog error: \(message); check that the work folder is not in use by another curate"
        case .cannotWrite(let path, let message, true):
            "cannot write \(path): the disk is full (\(message)); free space on it and run again (the finished shards are kept and the run resumes)"
        case .cannotWrite(let path, let message, false): "cannot write \(path): \(message); check that the folder is writable and has space"
        case .shardTooLarge(let message): message
        case .unit(let message): "unit: \(message)"
        }
    }
}
