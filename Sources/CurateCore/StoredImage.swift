/// Where crawl-dump found an image's bytes: a WARC record in `sourcePath` (codec, offset and
/// length as the catalog's `images` row records them) or the file `mirrorPath` of a mirror folder.
/// `CatalogStore.imageLocations` reads them.
/// Later stages read images back through a `StoredImageReader` the `curate` executable passes
/// them (crawl-dump's `StoredPayload`), so no stage imports another.
public struct StoredImageLocation: Sendable, Equatable {
    public var sourcePath: String
    public var mirrorPath: String?
    public var codec: String
    public var offset: Int64
    public var length: Int64

    public init(sourcePath: String, mirrorPath: String?, codec: String, offset: Int64, length: Int64) {
        self.sourcePath = sourcePath
        self.mirrorPath = mirrorPath
        self.codec = codec
        self.offset = offset
        self.length = length
    }
}

/// Reads an image's bytes back from its dump; a `ReasonedError` it throws is counted by reason.
public typealias StoredImageReader = @Sendable (StoredImageLocation) throws -> [UInt8]
