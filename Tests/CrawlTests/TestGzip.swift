import Zlib

/// gzip for building test inputs (zlib, level 6, one member), through curate's one zlib caller.
enum TestGzip {
    static func member(_ bytes: [UInt8]) -> [UInt8]? { Zlib.gzip(bytes) }
}
