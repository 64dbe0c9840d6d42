/// Why the renderer could not start: a font it cannot read, or options it cannot honour.
/// Rendering itself never fails: every string has a picture.
public enum RenderError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The font file could not be opened or read; `reason` is the system's words.
    case fontUnreadable(path: String, reason: String)
    /// A line of the `.hex` file is not `CODEPOINT:HEXBITS` with 32 or 64 hex digits.
    case malformedFont(path: String, line: Int, what: String)
    /// An option outside what the layout can draw.
    case invalidOption(name: String, value: Int, why: String)

    public var description: String {
        switch self {
        case .fontUnreadable(let path, let reason):
            "cannot read the Unifont font \(path): \(reason); install Debian's unifont package (apt-get install unifont) or point --font / CURATE_UNIFONT at a unifont.hex"
        case .malformedFont(let path, let line, let what):
            "\(path):\(line): not a Unifont .hex line (\(what)); use GNU Unifont's unifont.hex (CODEPOINT:32 or 64 hex digits per line)"
        case .invalidOption(let name, let value, let why):
            "invalid render option \(name)=\(value): \(why)"
        }
    }
}
