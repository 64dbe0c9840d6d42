// The two escapers curate writes text with: a JSON string literal (also a valid TOML basic
// string) and HTML text or attribute values.
import Foundation

public enum JSONString {
    /// `s` as a double-quoted JSON string: quote, backslash and control characters escaped,
    /// everything else as is (UTF-8). TOML's basic strings read the same escapes.
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

public enum HTMLText {
    /// `text` with the characters HTML gives meaning to escaped, for text and attribute values:
    /// & < > " and, unless `apostrophe` is false (attributes in double quotes only), '.
    public static func escaped(_ text: String, apostrophe: Bool = true) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'" where apostrophe: out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
