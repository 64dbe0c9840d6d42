/// How text becomes pixels. The defaults are big_vision's `render_unifont` with the arguments of
/// its CLIPPO config (`train_clippo.py`): 224×224, font size 16, lower-case, text 0 on 127.
/// `wrap`, `newlines` are curate's own and off by default.
public struct RenderOptions: Sendable, Equatable, Hashable {
    /// How lines are broken.
    public enum Wrap: String, Sendable, Equatable, Hashable, CaseIterable {
        /// big_vision's arithmetic: glyph i goes to line ⌊(w₀+…+wᵢ) / (size − widest glyph)⌋,
        /// anywhere inside a word. The default.
        case bigVision = "big-vision"
        /// curate's greedy word wrap at spaces: a line takes words while they fit the full width;
        /// a word wider than a line is broken where it overflows; spaces at a break are dropped.
        case word
    }

    /// Width and height of the square canvas, in pixels. big_vision: `image_size`.
    public var imageSize = 224
    /// Height and width of a glyph cell. 16 is Unifont's own size; other sizes resize each
    /// 16×16 glyph by TensorFlow's area method, as big_vision does. big_vision: `font_size`.
    public var fontSize = 16
    /// Code points drawn at most; the rest of the string is ignored. 0 = all. `max_chars`.
    public var maxCharacters = 768
    /// Lower-case A–Z only (TensorFlow's `tf.strings.lower` is ASCII-only). `lower`.
    public var lowercase = true
    /// Every glyph takes a whole cell instead of being trimmed to its ink. `monospace`.
    public var monospace = false
    /// Blank columns kept before a trimmed glyph's ink. `spacing`.
    public var spacing = 1
    /// Narrowest trimmed glyph, so spaces and full stops keep some width. `min_width`.
    public var minWidth = 4
    /// `background_brightness`.
    public var background: UInt8 = 127
    /// `text_brightness`.
    public var foreground: UInt8 = 0
    /// Line breaking. `.bigVision` unless asked otherwise.
    public var wrap = Wrap.bigVision
    /// Start a new line at `\n`, `\r\n` or `\r` (not drawn) instead of drawing their glyphs.
    public var newlines = false

    public init() {}

    /// big_vision's CLIPPO configuration.
    public static let clippo = RenderOptions()

    /// Whether these options are exactly big_vision's op with some set of its own arguments,
    /// so that its output is the reference (curate's `wrap` and `newlines` are not).
    public var isBigVisionLayout: Bool { wrap == .bigVision && !newlines }

    /// Throws for options the layout cannot draw.
    public func validate() throws {
        func check(_ ok: Bool, _ name: String, _ value: Int, _ why: String) throws {
            if !ok { throw RenderError.invalidOption(name: name, value: value, why: why) }
        }
        try check((1...256).contains(fontSize), "font-size", fontSize, "use 1 to 256 (16 is Unifont's native size)")
        try check(imageSize > fontSize && imageSize <= 8192, "size", imageSize,
                  "the canvas must be wider than one glyph (more than font-size) and at most 8192")
        try check(maxCharacters >= 0, "max-chars", maxCharacters, "use 0 for no limit or a positive count")
        try check((0...64).contains(spacing), "spacing", spacing, "use 0 to 64 pixels")
        try check((0...256).contains(minWidth), "min-width", minWidth, "use 0 to 256 pixels")
    }

    /// How many lines of text fit (a partly visible last line counts, as in big_vision).
    public var visibleLines: Int { (imageSize + fontSize - 1) / fontSize }
}
