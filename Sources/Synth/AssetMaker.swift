import CurateCore
import Imaging

/// The site's furniture: a logo, icons and banners, drawn once and served on many pages.
struct AssetMaker {
    var rng: SeededRNG

    /// 180×60 PNG: two coloured bars.
    mutating func logo() -> (bytes: [UInt8], format: String, width: Int, height: Int) {
        var image = RGBImage(width: 180, height: 60, fill: RGB(30, 60, 120))
        for y in 20..<40 { for x in 20..<160 { let i = (y * 180 + x) * 3; image.pixels[i] = 245; image.pixels[i + 1] = 200; image.pixels[i + 2] = 40 } }
        return ((try? image.encoded(.png)) ?? [], "png", 180, 60)
    }

    /// 32×32 PNG in one of a few colours.
    mutating func icon(_ name: String) -> (bytes: [UInt8], format: String, width: Int, height: Int) {
        let colour = rng.pick(NamedColour.all).rgb
        let image = Scene(width: 32, height: 32, background: .gradient(RGB(255, 255, 255), RGB(230, 230, 230), vertical: true),
                          objects: [SceneObject(shape: .circle, colour: NamedColour(name: name, rgb: colour), size: .large, centerX: 16, centerY: 16, radius: 12)])
            .render(noiseSeed: 1)
        return ((try? image.encoded(.png)) ?? [], "png", 32, 32)
    }

    /// 728×90 JPEG: a wide advertising banner (aspect ratio above 3).
    mutating func banner(_ k: Int) -> (bytes: [UInt8], format: String, width: Int, height: Int) {
        let scene = Scene(width: 728, height: 90, background: .stripes(RGB(250, 220, 120), RGB(240, 120, 60), period: 40), objects: [])
        return ((try? scene.render(noiseSeed: UInt64(k + 1)).encoded(.jpeg(quality: 70))) ?? [], "jpeg", 728, 90)
    }
}
