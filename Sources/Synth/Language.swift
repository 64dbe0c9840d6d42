import CurateCore

/// The English (and a little French and Spanish) that the synthetic crawl is written in:
/// true descriptions, alt texts of every quality, sentences about images and unrelated prose.
enum Language {
    static let numbers = ["a", "two", "three", "four"]

    /// Objects grouped by (shape, colour), in order of first appearance.
    static func groups(_ scene: Scene) -> [[SceneObject]] {
        var groups: [[SceneObject]] = []
        for object in scene.objects {
            if let i = groups.firstIndex(where: { $0[0].shape == object.shape && $0[0].colour == object.colour }) {
                groups[i].append(object)
            } else {
                groups.append([object])
            }
        }
        return groups
    }

    /// "a small blue square", "two red circles".
    static func phrase(_ group: [SceneObject]) -> String {
        let first = group[0]
        if group.count > 1 { return "\(numbers[group.count - 1]) \(first.colour.name) \(first.shape.plural)" }
        let size = first.size == .medium ? "" : first.size.rawValue + " "
        return "a \(size)\(first.colour.name) \(first.shape.rawValue)"
    }

    /// Where group b is seen from group a.
    static func relation(_ a: [SceneObject], _ b: [SceneObject]) -> String {
        func centre(_ g: [SceneObject]) -> (Double, Double) {
            (g.map(\.centerX).reduce(0, +) / Double(g.count), g.map(\.centerY).reduce(0, +) / Double(g.count))
        }
        let (ax, ay) = centre(a), (bx, by) = centre(b)
        if abs(by - ay) > abs(bx - ax) { return ay < by ? "above" : "below" }
        return ax < bx ? "to the left of" : "to the right of"
    }

    /// The true description: "two red circles above a small blue square".
    static func describe(_ scene: Scene) -> String {
        let g = groups(scene)
        switch g.count {
        case 1: return phrase(g[0])
        case 2: return "\(phrase(g[0])) \(relation(g[0], g[1])) \(phrase(g[1]))"
        default: return g.dropLast().map(phrase).joined(separator: ", ") + " and " + phrase(g[g.count - 1])
        }
    }

    /// How an alt text relates to its image: the truth records one of these per reference.
    enum AltStyle: String, CaseIterable, Sendable {
        case description, short, long, typo, prefixed, empty, missing
        case filename, dimensions, image, photo, clickHere = "click_here", generic, nonEnglish = "non_english"
    }

    /// The alt attribute for `scene` in `style` (nil: no alt attribute at all).
    static func alt(_ scene: Scene, style: AltStyle, rng: inout SeededRNG) -> String? {
        let true_ = describe(scene)
        switch style {
        case .description: return true_
        case .short:
            let first = groups(scene)[0][0]
            return rng.chance(0.5) ? "\(first.colour.name) \(first.shape.rawValue)" : phrase(groups(scene)[0])
        case .long:
            let lead = rng.pick(["Photo of ", "Picture showing ", "A close-up of ", ""])
            let tail = rng.pick([" on \(scene.background.description)", ", high resolution stock image", " - free download", " (click to enlarge)"])
            return lead + true_ + tail
        case .typo: return typo(true_, rng: &rng)
        case .prefixed: return rng.pick(["Image: ", "Gallery - ", "Shapes: "]) + true_
        case .empty: return ""
        case .missing: return nil
        case .filename: return rng.pick(["IMG_\(rng.int(1000...9999)).JPG", "DSC0\(rng.int(1000...9999)).jpg", "image\(rng.int(1...99)).png"])
        case .dimensions: return rng.pick(["1920x1080", "800x600", "1024 x 768", "640x480"])
        case .image: return "image"
        case .photo: return "photo"
        case .clickHere: return "click here"
        case .generic: return "product image"
        case .nonEnglish: return rng.chance(0.5) ? french(scene) : spanish(scene)
        }
    }

    /// One slip of the keyboard: two letters swapped, one dropped or one doubled.
    static func typo(_ text: String, rng: inout SeededRNG) -> String {
        var chars = Array(text)
        let letters = chars.indices.filter { chars[$0].isLetter && $0 + 1 < chars.count && chars[$0 + 1].isLetter }
        guard !letters.isEmpty else { return text }
        let i = rng.pick(letters)
        switch rng.below(3) {
        case 0: chars.swapAt(i, i + 1)
        case 1: chars.remove(at: i)
        default: chars.insert(chars[i], at: i)
        }
        return String(chars)
    }

    // French and Spanish: the first group, and the second when there is one.
    static let frenchShapes: [ShapeKind: (String, Bool)] = [.circle: ("cercle", false), .square: ("carré", false), .triangle: ("triangle", false), .star: ("étoile", true), .diamond: ("losange", false)]
    static let frenchColours: [String: (String, String)] = [
        "red": ("rouge", "rouge"), "orange": ("orange", "orange"), "yellow": ("jaune", "jaune"), "green": ("vert", "verte"),
        "blue": ("bleu", "bleue"), "purple": ("violet", "violette"), "pink": ("rose", "rose"), "brown": ("marron", "marron"),
        "black": ("noir", "noire"), "white": ("blanc", "blanche"), "gray": ("gris", "grise"),
    ]
    static let spanishShapes: [ShapeKind: (String, Bool)] = [.circle: ("círculo", false), .square: ("cuadrado", false), .triangle: ("triángulo", false), .star: ("estrella", true), .diamond: ("rombo", false)]
    static let spanishColours: [String: (String, String)] = [
        "red": ("rojo", "roja"), "orange": ("naranja", "naranja"), "yellow": ("amarillo", "amarilla"), "green": ("verde", "verde"),
        "blue": ("azul", "azul"), "purple": ("morado", "morada"), "pink": ("rosa", "rosa"), "brown": ("marrón", "marrón"),
        "black": ("negro", "negra"), "white": ("blanco", "blanca"), "gray": ("gris", "gris"),
    ]

    static func french(_ scene: Scene) -> String {
        let phrases = groups(scene).prefix(2).map { g -> String in
            let (noun, feminine) = frenchShapes[g[0].shape]!
            let colour = feminine ? frenchColours[g[0].colour.name]!.1 : frenchColours[g[0].colour.name]!.0
            if g.count > 1 { return "\(["", "deux", "trois", "quatre"][g.count - 1]) \(noun)s \(colour)\(colour.hasSuffix("s") ? "" : "s")" }
            return "\(feminine ? "une" : "un") \(noun) \(colour)"
        }
        return phrases.joined(separator: " et ")
    }

    static func spanish(_ scene: Scene) -> String {
        let phrases = groups(scene).prefix(2).map { g -> String in
            let (noun, feminine) = spanishShapes[g[0].shape]!
            let colour = feminine ? spanishColours[g[0].colour.name]!.1 : spanishColours[g[0].colour.name]!.0
            if g.count > 1 { return "\(["", "dos", "tres", "cuatro"][g.count - 1]) \(noun)s \(colour)s" }
            return "\(feminine ? "una" : "un") \(noun) \(colour)"
        }
        return phrases.joined(separator: " y ")
    }

    /// A sentence of page text that describes `scene`.
    static func describingSentence(_ scene: Scene, rng: inout SeededRNG) -> String {
        let d = describe(scene)
        return switch rng.below(5) {
        case 0: "In this picture, \(d)."
        case 1: "The photo shows \(d)."
        case 2: "Here you can see \(d) on \(scene.background.description)."
        case 3: "Our artist painted \(d) for this series."
        default: capitalised(d) + " stand out against \(scene.background.description)."
        }
    }

    static let subjects = ["The city council", "A local farmer", "The orchestra", "Our neighbour", "The new museum", "A group of students",
                           "The morning train", "The river", "My grandmother", "The football club", "The bakery on the corner", "A young journalist"]
    static let predicates = ["approved the budget for next year", "opened its doors on Sunday", "sold fresh bread at the market",
                             "played a quiet concert in the park", "arrived twenty minutes late", "flooded the lower fields after the storm",
                             "planted apple trees along the road", "published a history of the town", "repaired the old bridge",
                             "won the regional championship", "wrote a letter to the mayor", "closed early for the holidays"]
    static let adjuncts = ["", " last week", " in the spring", " despite the rain", " before dawn", " near the harbour", " for the first time"]

    /// A sentence of unrelated prose: no shapes, no colours.
    static func unrelatedSentence(rng: inout SeededRNG) -> String {
        "\(rng.pick(subjects)) \(rng.pick(predicates))\(rng.pick(adjuncts))."
    }

    static func capitalised(_ s: String) -> String { s.prefix(1).uppercased() + s.dropFirst() }
}
