import Catalog
import CurateCore
import Dispatch
import Foundation
import Imaging

/// The image rules, in the order the rule file lists them.
extension Filter {
    /// The image rules in order; with `untilNearDuplicates`, those before the near-duplicate rule
    /// only (a unit's second phase: the survivors are the near-duplicate candidates).
    func decideImages(untilNearDuplicates: Bool = false) throws {
        for (r, rule) in rules.enumerated() where rule.enabled && rule.check.isImageCheck {
            if untilNearDuplicates && rule.check == .nearDuplicate { return }
            let before = imageDropped.filter { $0 >= 0 }.count
            switch rule.check {
            case .headerDimensions:
                for i in imageIDs.indices where widths[i] <= 0 || heights[i] <= 0 {
                    dropImage(i, rule: r, "no size in the header (\(widths[i])x\(heights[i]))")
                }
            case .minShorterSide:
                let limit = rule.int("min_side"), inclusive = rule.inclusive
                for i in imageIDs.indices where imageDropped[i] < 0 {
                    let side = Int(min(widths[i], heights[i]))
                    if inclusive ? side < limit : side <= limit {
                        dropImage(i, rule: r, "shorter side \(side) px, \(inclusive ? "below" : "not above") \(limit)")
                    }
                }
            case .maxAspectRatio:
                let limit = rule.double("max_ratio"), inclusive = rule.inclusive
                for i in imageIDs.indices where imageDropped[i] < 0 {
                    let long = Double(max(widths[i], heights[i])), short = Double(max(1, min(widths[i], heights[i])))
                    let ratio = long / short
                    if inclusive ? ratio > limit : ratio >= limit {
                        dropImage(i, rule: r, String(format: "aspect ratio %.2f, %@ %g", ratio, inclusive ? "above" : "not below", limit))
                    }
                }
            case .decodes:
                try ensureFeatures()
                for i in imageIDs.indices where imageDropped[i] < 0 {
                    if let failure = featureFailure[Int32(i)] { dropImage(i, rule: r, failure) }
                }
            case .textBlocklist:
                if let globals {
                    let hits = globals.blocked[rule.name] ?? [:]
                    for i in imageIDs.indices { if let hit = hits[imageSHAs[i]] { dropImage(i, rule: r, hit.why) } }
                } else {
                    try findBlocklistHits(rule)
                    for (i, hit) in blockHits.sorted(by: { $0.key < $1.key }) { dropImage(Int(i), rule: r, hit.why) }
                }
            case .maxTextsPerImage:
                let limit = rule.int("max_texts")
                if let globals {
                    for i in imageIDs.indices { if let n = globals.textsPerImage[imageSHAs[i]], n > limit { dropImage(i, rule: r, "\(n) distinct texts, more than \(limit)") } }
                } else {
                    try db.forEach("SELECT image_id, count(DISTINCT key) FROM temp.filter_texts GROUP BY image_id HAVING count(DISTINCT key) > ?",
                                   [.integer(Int64(limit))]) { row in
                        if let i = imageIndex[row.integer(0)] { dropImage(Int(i), rule: r, "\(row.integer(1)) distinct texts, more than \(limit)") }
                    }
                }
            case .exactDuplicate:
                // crawl-dump keeps one image per SHA-256 and points every URL and text at it.
                let (urls, images) = try store.mergedURLs()
                if urls > 0 {
                    notes[rule.name] = "\(urls) URLs with identical bytes were merged into \(images) images at crawl time; all their texts kept"
                } else {
                    notes[rule.name] = "no two URLs had identical bytes"
                }
            case .nearDuplicate:
                try ensureFeatures()
                let found = try globals.map { try $0.nearDuplicatesMerged() }
                    ?? NearDuplicates.greedy(nearDuplicateCandidates(), radius: rule.int("max_distance"), maxColorDistance: rule.double("max_color_distance"))
                for i in imageIDs.indices where imageDropped[i] < 0 {
                    guard let hit = found[imageSHAs[i]] else { continue }
                    // The image kept in its place is named by its id when this catalog holds it.
                    let keptID = keptImageID(sha: hit.keep)
                    let name = keptID.map { "image \($0)" } ?? "image sha256:\(hit.keep.prefix(16)) of another unit"
                    dropImage(i, rule: r, near: FilterDecision.Detail(
                        String(format: "near-duplicate of %@ (pHash distance %d, colour distance %.1f)", name, hit.distance, hit.color),
                        relatedImageID: keptID, distance: hit.distance, colorDistance: hit.color))
                }
            case .evalNearDuplicate:
                try ensureFeatures()
                try evalNearDuplicates(radius: rule.int("max_distance"), maxColorDistance: rule.double("max_color_distance"), rule: r, name: rule.name)
            default:
                break
            }
            progress("\(rule.name): \(imageDropped.filter { $0 >= 0 }.count - before) images dropped")
        }
    }

    // MARK: Near-duplicates

    /// The images the near-duplicate rule looks at: those no earlier rule dropped, with a pHash,
    /// with their texts and numbers over the whole crawl (NearDuplicates.swift has the rule).
    func nearDuplicateCandidates() -> [NearDuplicates.Candidate] {
        var texts = [Int](repeating: 0, count: imageIDs.count)
        for image in pairImage where image >= 0 { texts[Int(image)] += 1 }
        var out: [NearDuplicates.Candidate] = []
        for i in imageIDs.indices where imageDropped[i] < 0 {
            guard let code = phashes[Int32(i)] else { continue }
            let pairs = globals?.pairsPerImage[imageSHAs[i]] ?? texts[i]
            let number = globals?.imageNumbers[imageSHAs[i]] ?? imageIDs[i]
            out.append(.init(sha256: imageSHAs[i], number: number, pairs: pairs, pixels: Int(widths[i]) * Int(heights[i]), phash: code,
                             signature: signatures[Int32(i)] ?? []))
        }
        return out
    }

    private func keptImageID(sha: String) -> Int64? {
        if shaIndex == nil { shaIndex = Dictionary(imageSHAs.enumerated().map { ($1, imageIDs[$0]) }, uniquingKeysWith: { a, _ in a }) }
        return shaIndex![sha]
    }

    /// The colour distance of two signatures; nil when either is missing (never a match).
    private func colorDistance(_ a: [UInt8]?, _ b: [UInt8]?) -> Double? {
        guard let a, let b else { return nil }
        return NearDuplicates.colorDistance(a, b)
    }

    /// Every image within `radius` of an evaluation image is dropped (unless an earlier rule did)
    /// and listed in the decontamination report.
    private func evalNearDuplicates(radius: Int, maxColorDistance: Double, rule: Int, name: String) throws {
        guard !options.evalPaths.isEmpty else {
            notes[name] = "no --eval-images given: nothing checked"
            return
        }
        let (files, missing) = FileList.expand(options.evalPaths)
        if let first = missing.first { throw FilterError.evalUnreadable(path: first, reason: "no such file or folder") }
        var codes: [UInt64] = [], evalSignatures: [[UInt8]] = [], paths: [String] = [], skipped = 0
        for file in files {
            guard case .success(let bytes) = FileList.read(file), let features = try? Self.features(bytes) else { skipped += 1; continue }
            codes.append(features.phash)
            evalSignatures.append(features.signature)
            paths.append(file)
        }
        notes[name] = "\(codes.count) eval images" + (skipped > 0 ? ", \(skipped) files skipped (not decodable images)" : "")
        guard !codes.isEmpty else { return }
        let index = HammingIndex(codes)
        let masks = HammingIndex.masks(radius: radius / 4)
        var seen = [UInt32](repeating: 0, count: codes.count), stamp: UInt32 = 0
        // Every hashed image is checked, also those an earlier rule dropped: the report lists
        // all of them (a near-duplicate kept in another's place must not leak the eval image).
        for i in imageIDs.indices {
            guard let code = phashes[Int32(i)] else { continue }
            stamp += 1
            var best: (eval: Int, distance: Int, color: Double)?
            index.search(code, radius: radius, masks: masks, seen: &seen, stamp: stamp) { e, d in
                guard let color = colorDistance(signatures[Int32(i)], evalSignatures[e]), color <= maxColorDistance else { return }
                if best == nil || (d, color, e) < (best!.distance, best!.color, best!.eval) { best = (e, d, color) }
            }
            if let best {
                decontamination.append((Int32(i), paths[best.eval], best.distance))
                dropImage(i, rule: rule, near: FilterDecision.Detail(
                    String(format: "within pHash %d (colour distance %.1f) of eval image %@", best.distance, best.color, paths[best.eval]),
                    evalPath: paths[best.eval], distance: best.distance, colorDistance: best.color))
            }
        }
    }

    // MARK: Perceptual hashes, cached in image_features

    /// The pHash and colour signature as curate computes them everywhere, from one decode at the
    /// smallest scale that covers 32×32.
    static func features(_ bytes: [UInt8]) throws -> (phash: UInt64, signature: [UInt8]) {
        let image = try ImageDecoder.decode(bytes, options: DecodeOptions(target: .stretch(width: 32, height: 32)))
        return (ImageHash.perceptual(image), ImageHash.colorSignature(image))
    }

    /// Decodes every not-yet-dropped image that has no cached hash (on `threads` threads), stores
    /// the hashes batch by batch (a killed run keeps what it finished), and loads all of them.
    func ensureFeatures() throws {
        if featuresLoaded { return }
        featuresLoaded = true
        // A hash cached by a version without signatures is computed again.
        var known = Set<Int64>()
        try db.forEach("SELECT image_id FROM image_features WHERE phash IS NULL OR signature IS NOT NULL") { known.insert($0.integer(0)) }
        let todo = imageIDs.indices.filter { imageDropped[$0] < 0 && !known.contains(imageIDs[$0]) }
        if !todo.isEmpty { progress("hashing \(todo.count) images (decoded from the dump once, then cached)") }
        let insert = try db.prepare("INSERT OR REPLACE INTO image_features (image_id, phash, status, detail, signature) VALUES (?, ?, ?, ?, ?)")
        let batchSize = 256
        for start in stride(from: 0, to: todo.count, by: batchSize) {
            let batch = Array(todo[start..<min(start + batchSize, todo.count)])
            let locations = try self.locations(batch.map { imageIDs[$0] })
            let results = UnsafeMutableBufferPointer<((phash: UInt64, signature: [UInt8])?, String, String?)>.allocate(capacity: batch.count)
            results.initialize(repeating: (nil, "", nil))
            defer { results.deinitialize(); results.deallocate() }
            nonisolated(unsafe) let out = results
            let reader = readImage
            let workers = max(1, min(options.threads, batch.count))
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                for k in stride(from: worker, to: batch.count, by: workers) {
                    guard let location = locations[k] else { out[k] = (nil, DropReason.unreadable.rawValue, "no source for this image"); continue }
                    do {
                        out[k] = (try Self.features(reader(location)), "ok", nil)
                    } catch let failure as ReasonedError {
                        out[k] = (nil, failure.reason.rawValue, failure.description)
                    } catch let error as ImagingError {
                        out[k] = (nil, error.reason.rawValue, error.description)
                    } catch {
                        out[k] = (nil, DropReason.corrupt.rawValue, "\(error)")
                    }
                }
            }
            if !options.dryRun { try db.execute("BEGIN") }
            for (k, i) in batch.enumerated() {
                let (features, status, detail) = results[k]
                if let features {
                    phashes[Int32(i)] = features.phash
                    signatures[Int32(i)] = features.signature
                } else {
                    featureFailure[Int32(i)] = status + (detail.map { ": " + $0 } ?? "")
                }
                if !options.dryRun {
                    try insert.run([.integer(imageIDs[i]), features.map { .integer(Int64(bitPattern: $0.phash)) } ?? .null, .text(status), detail.map { .text($0) } ?? .null,
                                    features.map { .text(Hex.encode($0.signature)) } ?? .null])
                }
            }
            if !options.dryRun { try db.execute("COMMIT") }
        }
        try db.forEach("SELECT image_id, phash, status, detail, signature FROM image_features") { row in
            guard let i = imageIndex[row.integer(0)] else { return }
            if !row.isNull(1) {
                phashes[i] = UInt64(bitPattern: row.integer(1))
                signatures[i] = row.text(4).flatMap(Hex.decode)
            } else {
                featureFailure[i] = (row.text(2) ?? "corrupt") + (row.text(3).map { ": " + $0 } ?? "")
            }
        }
    }


    private func locations(_ ids: [Int64]) throws -> [StoredImageLocation?] {
        let found = try store.imageLocations(ids: ids)
        return ids.map { found[$0] }
    }
}
