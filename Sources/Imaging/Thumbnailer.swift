/// Decode, resize and encode in one call, decoding no more pixels than the result needs.
public enum Thumbnailer {
    /// Probes, decodes at the smallest scale that still covers `mode`'s result, resizes and
    /// encodes. This is the path every image takes into a shard.
    public static func thumbnail(_ bytes: UnsafeRawBufferPointer, mode: ResizeMode, format: EncodedFormat,
                                 options: DecodeOptions = DecodeOptions()) throws -> (image: RGBImage, encoded: [UInt8], info: ImageInfo) {
        let info = try ImageProbe.probe(bytes)
        var decodeOptions = options
        decodeOptions.target = mode
        let image = try ImageDecoder.decodeWindow(bytes, info: info, options: decodeOptions).resized(mode)
        return (image, try image.encoded(format), info)
    }
}
