extension RGBImage {
    /// The image as it should be displayed, given its EXIF orientation (1...8).
    ///
    /// Orientation n says how the stored pixels must be transformed: 2 mirror, 3 rotate 180°,
    /// 4 flip vertically, 5 transpose, 6 rotate 90° clockwise, 7 transverse, 8 rotate 90° counter-clockwise.
    public func oriented(_ orientation: Int) -> RGBImage {
        guard (2...8).contains(orientation) else { return self }
        let swaps = orientation >= 5
        let outW = swaps ? height : width, outH = swaps ? width : height
        return pixels.withUnsafeBufferPointer { src in
            RGBImage.uninitialized(width: outW, height: outH) { dst in
                for y in 0..<outH {
                    for x in 0..<outW {
                        // (sx, sy): the stored pixel shown at display position (x, y).
                        let (sx, sy): (Int, Int)
                        switch orientation {
                        case 2: (sx, sy) = (width - 1 - x, y)
                        case 3: (sx, sy) = (width - 1 - x, height - 1 - y)
                        case 4: (sx, sy) = (x, height - 1 - y)
                        case 5: (sx, sy) = (y, x)
                        case 6: (sx, sy) = (y, height - 1 - x)
                        case 7: (sx, sy) = (width - 1 - y, height - 1 - x)
                        default: (sx, sy) = (width - 1 - y, x)  // 8
                        }
                        let s = (sy * width + sx) * 3, d = (y * outW + x) * 3
                        dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2]
                    }
                }
            }
        }
    }
}
