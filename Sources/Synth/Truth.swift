/// The ground truth the generator writes to truth.jsonl, one JSON object per line, each with a
/// "type": "image", "reference", "page" or "eval". samples/README.md documents every field.
enum Truth {
    /// What an image URL is.
    enum ImageKind: String, Codable {
        case content, logo, icon, spacer, tracking, banner, thumbnail
        case duplicate            // the same bytes as `of`, under another URL
        case nearDuplicate = "near_duplicate"  // re-encoded, resized or cropped from `of`
        case missing              // referenced, not in the dump
        case corrupt              // in the dump, body is not a decodable image
        case unreferenced         // in the dump, no page refers to it
        case truncated            // its record is the WARC's cut-off last gzip member
    }

    struct Object: Codable {
        var shape: String, colour: String, size: String
        /// [x0, y0, x1, y1] in pixels.
        var box: [Int]
    }

    struct Image: Codable {
        var type = "image"
        var url: String
        var kind: ImageKind
        var format: String?
        var width: Int?, height: Int?
        var bytes: Int?
        var sha256: String?
        var inDump: Bool
        var of: String?
        var objects: [Object]?
        var description: String?
        /// Files in eval/ that near-duplicate this image: `curate filter` must drop it.
        var evalNearDuplicates: [String]?

        enum CodingKeys: String, CodingKey {
            case type, url, kind, format, width, height, bytes, sha256, of, objects, description
            case inDump = "in_dump", evalNearDuplicates = "eval_near_duplicates"
        }
    }

    struct Reference: Codable {
        var type = "reference"
        var page: String
        /// How the HTML names the image: absolute, root_relative, parent_relative, protocol_relative,
        /// base_relative, srcset_w, srcset_x, lazy_data_src, picture_source, picture_img.
        var form: String
        /// The attribute value as written in the HTML.
        var src: String
        /// The image the reference resolves to (for srcset: the candidate the dump holds).
        var url: String
        var kind: ImageKind
        var alt: String?
        var altStyle: String
        var title: String?
        var figcaption: String?

        enum CodingKeys: String, CodingKey {
            case type, page, form, src, url, kind, alt, title, figcaption
            case altStyle = "alt_style"
        }
    }

    struct Sentence: Codable {
        var text: String
        /// The URL of the image on the page this sentence describes, or nil for unrelated prose.
        var describes: String?
    }

    struct Page: Codable {
        var type = "page"
        var url: String
        var charset: String
        /// How the response body was sent: identity, gzip, chunked or gzip+chunked.
        var transfer: String
        /// Whether the WARC also holds a revisit record of this page.
        var revisited: Bool
        var sentences: [Sentence]
    }

    struct Eval: Codable {
        var type = "eval"
        var path: String
        /// The crawl image this eval image near-duplicates, or nil for an unrelated eval image.
        var nearDuplicateOf: String?

        enum CodingKeys: String, CodingKey {
            case type, path
            case nearDuplicateOf = "near_duplicate_of"
        }
    }

    /// One line of detections.jsonl: what an object detector (VinVL-like) reports for an image.
    struct Detections: Codable {
        struct Detection: Codable {
            var `class`: String
            var confidence: Double
            /// [x0, y0, x1, y1] in pixels.
            var box: [Int]
        }
        var image: String
        var sha256: String
        var width: Int, height: Int
        var detections: [Detection]
    }
}
