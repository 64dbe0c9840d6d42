import CGIF
import CLibPNG
import CLibWebP
import CLibXML2
import COpenBLAS
import CSQLite
import CZlib
import Foundation
import Testing

/// Each system library target links and answers: the versions Debian 12 ships, and one real call
/// for the two that no library target uses yet (libxml2 for issue 4's HTML, zlib for its WARCs).
@Suite struct SystemLibrariesTests {
    @Test func versions() {
        #expect(String(cString: zlibVersion()).hasPrefix("1."))
        #expect(png_access_version_number() >= 10_600)
        #expect(WebPGetDecoderVersion() >= 0x010200)
        #expect(GIFLIB_MAJOR == 5)
        #expect(sqlite3_libversion_number() >= 3_035_000)
        #expect(!String(cString: openblas_get_corename()).isEmpty)
        #expect(LIBXML_VERSION >= 20_900)
    }

    /// libxml2's HTML parser in recover mode with no network recovers an <img> from broken markup.
    @Test func libxml2ParsesBrokenHTML() throws {
        let html = "<html><body><p>unclosed <img src='a.jpg' alt='a red circle'><div></body>"
        let options = Int32(HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NONET.rawValue | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue)
        // Called outside #require: the macro evaluates arguments apart from the call, so an implicit
        // String-to-pointer conversion would dangle (AddressSanitizer caught exactly that).
        let parsed = htmlReadMemory(html, Int32(html.utf8.count), "http://example.com/", "UTF-8", options)
        let doc = try #require(parsed)
        defer { xmlFreeDoc(doc) }
        func findImg(_ node: xmlNodePtr?) -> xmlNodePtr? {
            var node = node
            while let current = node {
                if current.pointee.type == XML_ELEMENT_NODE, String(cString: current.pointee.name) == "img" { return current }
                if let found = findImg(current.pointee.children) { return found }
                node = current.pointee.next
            }
            return nil
        }
        let img = try #require(findImg(xmlDocGetRootElement(doc)))
        // xmlGetProp's result is freed with free(): libxml2's default xmlFree (a global Swift 6 rejects).
        let alt = try #require(xmlGetProp(img, "alt"))
        defer { free(alt) }
        #expect(String(cString: alt) == "a red circle")
    }

    /// zlib: compress, then inflate with automatic zlib/gzip header detection (window bits 15 + 32).
    @Test func zlibRoundTrip() {
        let text = Array(String(repeating: "WARC/1.1 record ", count: 200).utf8)
        var compressed = [UInt8](repeating: 0, count: Int(compressBound(UInt(text.count))))
        var compressedSize = UInt(compressed.count)
        #expect(compress2(&compressed, &compressedSize, text, UInt(text.count), 9) == Z_OK)
        var stream = z_stream()
        #expect(curate_inflate_init2(&stream, 15 + 32) == Z_OK)
        var output = [UInt8](repeating: 0, count: text.count)
        let status = compressed.withUnsafeMutableBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = input.baseAddress
                stream.avail_in = UInt32(compressedSize)
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(out.count)
                return inflate(&stream, Z_FINISH)
            }
        }
        inflateEnd(&stream)
        #expect(status == Z_STREAM_END)
        #expect(output == text)
    }
}
