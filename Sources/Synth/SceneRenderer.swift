import Foundation
import Imaging

extension Scene {
    /// Draws the scene: the background, then each object over its bounding box, sampled at pixel centres.
    public func render(noiseSeed: UInt64) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        var noise = noiseSeed | 1
        // Stripes depend on x + y only: one value per diagonal, computed once.
        var stripeTable: [RGB] = []
        if case .stripes(let a, let b, let period) = background {
            stripeTable = (0..<(width + height)).map { mix(a, b, 0.5 + 0.5 * sin(Double($0) * 2 * .pi / period)) }
        }
        for y in 0..<height {
            for x in 0..<width {
                let c: RGB
                switch background {
                case .gradient(let a, let b, let vertical):
                    let t = vertical ? Double(y) / Double(height) : Double(x) / Double(width)
                    c = mix(a, b, t)
                case .stripes:
                    c = stripeTable[x + y]
                case .speckle(let a, let amplitude):
                    noise ^= noise << 13; noise ^= noise >> 7; noise ^= noise << 17  // xorshift64
                    let d = Int(noise % UInt64(2 * amplitude + 1)) - amplitude
                    c = RGB(clamp(Int(a.r) + d), clamp(Int(a.g) + d), clamp(Int(a.b) + d))
                }
                let i = (y * width + x) * 3
                pixels[i] = c.r; pixels[i + 1] = c.g; pixels[i + 2] = c.b
            }
        }
        for object in objects {
            let box = object.box
            let star = object.shape == .star ? SceneObject.starVertices(object.centerX, object.centerY, object.radius) : []
            for y in max(0, box[1])..<min(height, box[3]) {
                for x in max(0, box[0])..<min(width, box[2]) where object.contains(Double(x) + 0.5, Double(y) + 0.5, star: star) {
                    let i = (y * width + x) * 3
                    pixels[i] = object.colour.rgb.r; pixels[i + 1] = object.colour.rgb.g; pixels[i + 2] = object.colour.rgb.b
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}

extension SceneObject {
    /// Whether the point (x, y) is inside the shape (`star`: the star's vertices, computed once by the caller).
    func contains(_ x: Double, _ y: Double, star: [(Double, Double)]) -> Bool {
        let dx = x - centerX, dy = y - centerY, r = radius
        switch shape {
        case .circle: return dx * dx + dy * dy <= r * r
        case .square: return abs(dx) <= r && abs(dy) <= r
        case .diamond: return abs(dx) + abs(dy) <= r
        case .triangle:
            // Apex at the top centre, base along the bottom of the box.
            guard dy >= -r, dy <= r else { return false }
            return abs(dx) <= (dy + r) / 2
        case .star:
            return Self.pointInPolygon(x, y, star)
        }
    }

    /// A five-pointed star: outer points at radius r, inner at 0.45 r, first point up.
    static func starVertices(_ cx: Double, _ cy: Double, _ r: Double) -> [(Double, Double)] {
        (0..<10).map { k in
            let angle = -Double.pi / 2 + Double(k) * Double.pi / 5
            let radius = k % 2 == 0 ? r : 0.45 * r
            return (cx + radius * cos(angle), cy + radius * sin(angle))
        }
    }

    /// Even-odd rule.
    static func pointInPolygon(_ x: Double, _ y: Double, _ vertices: [(Double, Double)]) -> Bool {
        var inside = false
        var j = vertices.count - 1
        for i in vertices.indices {
            let (xi, yi) = vertices[i], (xj, yj) = vertices[j]
            if (yi > y) != (yj > y), x < (xj - xi) * (y - yi) / (yj - yi) + xi { inside.toggle() }
            j = i
        }
        return inside
    }
}

func mix(_ a: RGB, _ b: RGB, _ t: Double) -> RGB {
    RGB(UInt8(Double(a.r) * (1 - t) + Double(b.r) * t), UInt8(Double(a.g) * (1 - t) + Double(b.g) * t), UInt8(Double(a.b) * (1 - t) + Double(b.b) * t))
}

func clamp(_ v: Int) -> UInt8 { UInt8(max(0, min(255, v))) }
