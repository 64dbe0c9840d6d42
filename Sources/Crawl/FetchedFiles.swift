/// The part of a file curate fetch was writing when it stopped that holds whole URLs: fetch
/// writes each URL's records in one go, ending with its `metadata` outcome record, so the file
/// is good up to the end of the last outcome record the reader finds whole. The Fetch target
/// cuts the file there (`FetchFolder.recover`); a torn record after it is lost, and its URL
/// fetched again.
public enum FetchedFileRecovery {
    /// The bytes to keep and the URLs they hold.
    public static func wholePart(of path: String) throws -> (keep: Int64, urls: Int) {
        let stream = try DumpStream(path: path)
        let reader = WARCReader(stream: stream)
        var keep: Int64 = 0, urls = 0
        while let event = reader.next() {
            guard case .record(let record) = event else { break }
            guard record.type == "metadata", record.location.codec == "gzip_member",
                  record.block.starts(with: "curate-fetch-outcome:".utf8) else { continue }
            keep = record.location.offset + record.location.length
            urls += 1
        }
        return (keep, urls)
    }
}
