/// Substring search over UTF-8 bytes. Use it for protocol and URL
/// text, where bytes are what matters: `String.contains` compares by Unicode canonical
/// equivalence, and the generic `firstRange(of:)` is not specialised across modules (it cost a
/// third of crawl-dump's time).
public enum ByteSearch {
    public static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: UnsafeRawBufferPointer) -> Bool {
        guard needle.count > 0 else { return true }
        guard haystack.count >= needle.count else { return false }
        let first = needle[0]
        for start in 0...(haystack.count - needle.count) where haystack[start] == first {
            var k = 1
            while k < needle.count && haystack[start + k] == needle[k] { k += 1 }
            if k == needle.count { return true }
        }
        return false
    }

    public static func contains(_ haystack: String, _ needle: String) -> Bool {
        var haystack = haystack, needle = needle
        return haystack.withUTF8 { h in needle.withUTF8 { n in contains(UnsafeRawBufferPointer(h), UnsafeRawBufferPointer(n)) } }
    }

    public static func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        var needle = needle
        return haystack.withUnsafeBytes { h in needle.withUTF8 { n in contains(h, UnsafeRawBufferPointer(n)) } }
    }
}
