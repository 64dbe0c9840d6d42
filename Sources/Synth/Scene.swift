import CurateCore
import Imaging

/// The objects a synthetic image can hold.
public enum ShapeKind: String, CaseIterable, Sendable, Codable {
    case circle, square, triangle, star, diamond

    var plural: String { rawValue + "s" }
}

/// A colour with the English name the alt texts and the truth use.
public struct NamedColour: Sendable, Equatable {
    public var name: String
    public var rgb: RGB

    public static let all: [NamedColour] = [
        .init(name: "red", rgb: RGB(214, 40, 40)), .init(name: "orange", rgb: RGB(245, 140, 30)),
        .init(name: "yellow", rgb: RGB(245, 215, 40)), .init(name: "green", rgb: RGB(50, 160, 70)),
        .init(name: "blue", rgb: RGB(40, 90, 210)), .init(name: "purple", rgb: RGB(130, 60, 170)),
        .init(name: "pink", rgb: RGB(240, 130, 180)), .init(name: "brown", rgb: RGB(120, 75, 40)),
        .init(name: "black", rgb: RGB(20, 20, 20)), .init(name: "white", rgb: RGB(250, 250, 250)),
        .init(name: "gray", rgb: RGB(128, 128, 128)),
    ]
}

public enum SizeClass: String, CaseIterable, Sendable, Codable {
    case small, medium, large

    /// The object's radius as a fraction of the image's shorter side.
    var radiusFraction: Double {
        switch self {
        case .small: 0.09
        case .medium: 0.15
        case .large: 0.22
        }
    }
}

/// One drawn object: what it is and where (its box is what a detector should find).
public struct SceneObject: Sendable {
    public var shape: ShapeKind
    public var colour: NamedColour
    public var size: SizeClass
    public var centerX: Double, centerY: Double, radius: Double

    /// (x0, y0, x1, y1) in pixels.
    public var box: [Int] {
        [Int(centerX - radius), Int(centerY - radius), Int((centerX + radius).rounded(.up)), Int((centerY + radius).rounded(.up))]
    }
}

/// What fills the image behind the objects.
public enum Background: Sendable {
    case gradient(RGB, RGB, vertical: Bool)
    case stripes(RGB, RGB, period: Double)
    case speckle(RGB, amplitude: Int)

    var description: String {
        switch self {
        case .gradient: "a gradient background"
        case .stripes: "a striped background"
        case .speckle: "a textured background"
        }
    }
}

/// A picture to draw: size, background and one to four objects, none overlapping much.
public struct Scene: Sendable {
    public var width: Int, height: Int
    public var background: Background
    public var objects: [SceneObject]

    /// A random scene of `width × height`; objects are placed on a loose grid so they stay apart.
    public static func random(width: Int, height: Int, rng: inout SeededRNG, maxObjects: Int = 4) -> Scene {
        let count = rng.int(1...maxObjects)
        let pale = NamedColour.all.filter { $0.name != "black" }
        let c1 = rng.pick(pale).rgb, c2 = rng.pick(pale).rgb
        let soft = { (c: RGB) in RGB(UInt8((Int(c.r) + 255) / 2), UInt8((Int(c.g) + 255) / 2), UInt8((Int(c.b) + 255) / 2)) }
        let background: Background = switch rng.below(3) {
        case 0: .gradient(soft(c1), soft(c2), vertical: rng.chance(0.5))
        case 1: .stripes(soft(c1), soft(c2), period: Double(rng.int(12...40)))
        default: .speckle(soft(c1), amplitude: rng.int(6...14))
        }
        // Cells of a 2×2 grid, shuffled: each object gets its own cell.
        let cells = rng.shuffled([(0, 0), (1, 0), (0, 1), (1, 1)])
        let shorter = Double(min(width, height))
        var objects: [SceneObject] = []
        var colours = rng.shuffled(NamedColour.all)
        // Repeated objects ("two red circles") happen: sometimes reuse the previous shape and colour.
        for i in 0..<count {
            let size = rng.pick(SizeClass.allCases)
            let radius = size.radiusFraction * shorter
            let (cx, cy) = cells[i]
            let cellW = Double(width) / 2, cellH = Double(height) / 2
            let x = cellW * Double(cx) + radius + rng.unit() * max(1, cellW - 2 * radius)
            let y = cellH * Double(cy) + radius + rng.unit() * max(1, cellH - 2 * radius)
            if i > 0, rng.chance(0.3) {
                let previous = objects[i - 1]
                objects.append(SceneObject(shape: previous.shape, colour: previous.colour, size: size, centerX: x, centerY: y, radius: radius))
            } else {
                objects.append(SceneObject(shape: rng.pick(ShapeKind.allCases), colour: colours.removeFirst(), size: size, centerX: x, centerY: y, radius: radius))
            }
        }
        return Scene(width: width, height: height, background: background, objects: objects)
    }
}
