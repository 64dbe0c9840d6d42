/// Why `curate weak-pairs` could not run; one line each, ending with what to do.
public enum AlignError: Error, Equatable, Sendable, CustomStringConvertible {
    case noCatalog(path: String)
    case notFiltered
    case detectionsUnreadable(path: String)
    case corpusUnreadable(path: String)
    case catalog(String)
    /// The catalog could not be opened (Catalog's one line).
    case catalogRefused(String)

    public var description: String {
        switch self {
        case .noCatalog(let path): "no catalog at \(path); run curate crawl-dump first, or pass --work with the folder that holds catalog.sqlite"
        case .notFiltered: "the catalog has no filter decisions yet; run curate filter first (weak pairs are made for the images it keeps)"
        case .detectionsUnreadable(let path): "cannot read the detections file \(path); pass JSON lines as the README's \"Detections\" describes"
        case .corpusUnreadable(let path): "cannot read the corpus \(path); pass a UTF-8 text file or a folder of them"
        case .catalogRefused(let message): message
        case .catalog(let message): "catalog error: \(message); check that the work folder is not in use by another curate"
        }
    }
}
