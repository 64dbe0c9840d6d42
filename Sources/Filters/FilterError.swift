/// Why `curate filter` could not run. Each description is one line ending with what to do.
public enum FilterError: Error, Equatable, Sendable, CustomStringConvertible {
    case rulesUnreadable(path: String, reason: String)
    /// The rule file is not valid TOML, or a rule is not what its check needs.
    case badRules(path: String, what: String)
    /// A `--set name.param=value` that names no rule or parameter, or has a value of the wrong type.
    case badOverride(String, what: String)
    case listUnreadable(path: String, rule: String)
    case noCatalog(path: String)
    case catalog(String)
    /// The catalog could not be opened (Catalog's one line: missing, newer, SQLite's message).
    case catalogRefused(String)
    case evalUnreadable(path: String, reason: String)
    case notFound(String)
    /// A unit's phase was given files it cannot use (README: "Running on a cluster").
    case unit(String)
    /// A WordNet file is missing (imagenet_entity, curate metadata).
    case wordNetMissing(path: String)
    /// The metadata file of a metadata_substring rule is missing or holds no entry.
    case metadataUnreadable(path: String, rule: String, reason: String)

    public var description: String {
        switch self {
        case .rulesUnreadable(let path, let reason):
            "cannot read the rule file \(path): \(reason); pass --rules with a rule file such as Sources/Filters/Rules/align.toml"
        case .badRules(let path, let what):
            "\(path): \(what); Sources/Filters/Rules/README.md lists every check and its parameters"
        case .badOverride(let text, let what):
            "--set \(text): \(what); use --set RULE.PARAMETER=VALUE with a rule name and parameter from the printed rules"
        case .listUnreadable(let path, let rule):
            "cannot read \(path), the list of rule \(rule); it is looked up beside the rule file"
        case .noCatalog(let path):
            "no catalog at \(path); run curate crawl-dump first, or pass --work with the folder that holds catalog.sqlite"
        case .catalogRefused(let message): message
        case .catalog(let message):
            "catalog error: \(message); check that the work folder is not in use by another curate"
        case .evalUnreadable(let path, let reason):
            "cannot use the eval image \(path): \(reason); pass folders of readable PNG, JPEG, WebP or GIF images"
        case .notFound(let what):
            "\(what) is not in the catalog; give image:ID, pair:ID or an image URL"
        case .unit(let message):
            "unit: \(message)"
        case .wordNetMissing(let path):
            "cannot read WordNet's \(path); install Debian's wordnet-base (make setup) or set the rule's wordnet = \"FOLDER\""
        case .metadataUnreadable(let path, let rule, let reason):
            "cannot use \(path), the metadata of rule \(rule): \(reason); run curate metadata --work WORK first (it writes WORK/metaclip-metadata.txt), or set \(rule).metadata"
        }
    }
}
