import Zlib

/// One gzip member of `bytes` (level 6; the same input always gives the same bytes).
func gzipMember(_ bytes: [UInt8]) -> [UInt8] { Zlib.gzip(bytes) }
