import Catalog
import CurateCore
import Dispatch
import Foundation
import Imaging

/// The image rules, in the order the rule file lists them.
extension Filter {
    func decideImages() throws {
        for (r, rule) in rules.enumerated() where rule.enabled && rule.check.isImageCheck {
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
                try applyBlocklist(rule, index: r)
            case .maxTextsPerImage:
                let limit = rule.int("max_texts")
                try db.forEach("SELECT image_id, count(DISTINCT key) FROM temp.filter_texts GROUP BY image_id HAVING count(DISTINCT key) > ?",
                               [.integer(Int64(limit))]) { row in
                    if let i = imageIndex[row.integer(0)] { dropImage(Int(i), rule: r, "\(row.integer(1)) distinct texts, more than \(limit)") }
                }
            case .exactDuplicate:
                // crawl-dump keeps one image per SHA-256 and points every URL and text at it.
                let row = try db.query("SELECT count(*), count(DISTINCT image_id) FROM image_urls WHERE image_id IN (SELECT image_id FROM image_urls GROUP BY image_id HAVING count(*) > 1)").first
                if case .integer(let urls)? = row?.first, case .integer(let images)? = row?.last, urls > 0 {
                    notes[rule.name] = "\(urls) URLs with identical bytes were merged into \(images) images at crawl time; all their texts kept"
                } else {
                    notes[rule.name] = "no two URLs had identical bytes"
                }
            case .nearDuplicate:
                try ensureFeatures()
                nearDuplicates(radius: rule.int("max_distance"), rule: r)
            case .evalNearDuplicate:
                try ensureFeatures()
                try evalNearDuplicates(radius: rule.int("max_distance"), rule: r, name: rule.name)
            default:
                break
            }
            progress("\(rule.name): \(imageDropped.filter { $0 >= 0 }.count - before) images dropped")
        }
    }

    // MARK: Near-duplicates

    /// Single-linkage clusters of perceptual hashes within `radius` (equal hashes first, then
    /// multi-index hashing over the distinct hashes); each cluster keeps the image with the most
    /// texts, then the most pixels, then the lowest id.
    private func nearDuplicates(radius: Int, rule: Int) {
        var byCode: [UInt64: [Int]] = [:]
        for i in imageIDs.indices where imageDropped[i] < 0 { if let code = phashes[Int32(i)] { byCode[code, default: []].append(i) } }
        let codes = Array(byCode.keys)
        var parent = Array(codes.indices)
        func root(_ x: Int) -> Int { var x = x; while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }; return x }
        let index = HammingIndex(codes)
        let masks = HammingIndex.masks(radius: radius / 4)
        var seen = [UInt32](repeating: 0, count: codes.count)
        for (u, code) in codes.enumerated() {
            index.search(code, radius: radius, masks: masks, seen: &seen, stamp: UInt32(u + 1)) { v, _ in
                if v > u { let a = root(u), b = root(v); if a != b { parent[a] = b } }
            }
        }
        var clusters: [Int: [Int]] = [:]
        for (u, code) in codes.enumerated() { clusters[root(u), default: []] += byCode[code]! }
        var texts = [Int32](repeating: 0, count: imageIDs.count)
        for image in pairImage where image >= 0 { texts[Int(image)] += 1 }
        var merged = 0
        for members in clusters.values where members.count > 1 {
            let keep = members.max { a, b in
                (texts[a], Int(widths[a]) * Int(heights[a]), -imageIDs[a]) < (texts[b], Int(widths[b]) * Int(heights[b]), -imageIDs[b])
            }!
            for i in members where i != keep {
                let distance = (phashes[Int32(i)]! ^ phashes[Int32(keep)]!).nonzeroBitCount
                dropImage(i, rule: rule, "near-duplicate of image \(imageIDs[keep]) (pHash distance \(distance))")
                merged += 1
            }
        }
    }

    /// Every image within `radius` of an evaluation image is dropped (unless an earlier rule did)
    /// and listed in the decontamination report.
    private func evalNearDuplicates(radius: Int, rule: Int, name: String) throws {
        guard !options.evalPaths.isEmpty else {
            notes[name] = "no --eval-images given: nothing checked"
            return
        }
        let (files, missing) = FileList.expand(options.evalPaths)
        if let first = missing.first { throw FilterError.evalUnreadable(path: first, reason: "no such file or folder") }
        var codes: [UInt64] = [], paths: [String] = [], skipped = 0
        for file in files {
            guard case .success(let bytes) = FileList.read(file), let code = try? Self.perceptualHash(bytes) else { skipped += 1; continue }
            codes.append(code)
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
            var best: (eval: Int, distance: Int)?
            index.search(code, radius: radius, masks: masks, seen: &seen, stamp: stamp) { e, d in
                if best == nil || d < best!.distance || (d == best!.distance && e < best!.eval) { best = (e, d) }
            }
            if let best {
                decontamination.append((Int32(i), paths[best.eval], best.distance))
                dropImage(i, rule: rule, "within pHash \(best.distance) of eval image \(paths[best.eval])")
            }
        }
    }

    // MARK: Perceptual hashes, cached in image_features

    /// The pHash as curate computes it everywhere: decoded at the smallest scale that covers 32×32.
    static func perceptualHash(_ bytes: [UInt8]) throws -> UInt64 {
        ImageHash.perceptual(try ImageDecoder.decode(bytes, options: DecodeOptions(target: .stretch(width: 32, height: 32))))
    }

    /// Decodes every not-yet-dropped image that has no cached hash (on `threads` threads), stores
    /// the hashes batch by batch (a killed run keeps what it finished), and loads all of them.
    func ensureFeatures() throws {
        if featuresLoaded { return }
        featuresLoaded = true
        var known = Set<Int64>()
        try db.forEach("SELECT image_id FROM image_features") { known.insert($0.integer(0)) }
        let todo = imageIDs.indices.filter { imageDropped[$0] < 0 && !known.contains(imageIDs[$0]) }
        if !todo.isEmpty { progress("hashing \(todo.count) images (decoded from the dump once, then cached)") }
        let insert = try db.prepare("INSERT OR REPLACE INTO image_features (image_id, phash, status, detail) VALUES (?, ?, ?, ?)")
        let batchSize = 256
        for start in stride(from: 0, to: todo.count, by: batchSize) {
            let batch = Array(todo[start..<min(start + batchSize, todo.count)])
            let locations = try self.locations(batch.map { imageIDs[$0] })
            let results = UnsafeMutableBufferPointer<(UInt64?, String, String?)>.allocate(capacity: batch.count)
            results.initialize(repeating: (nil, "", nil))
            defer { results.deinitialize(); results.deallocate() }
            nonisolated(unsafe) let out = results
            let reader = readImage
            let workers = max(1, min(options.threads, batch.count))
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                for k in stride(from: worker, to: batch.count, by: workers) {
                    guard let location = locations[k] else { out[k] = (nil, DropReason.unreadable.rawValue, "no source for this image"); continue }
                    do {
                        out[k] = (try Self.perceptualHash(reader(location)), "ok", nil)
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
                let (code, status, detail) = results[k]
                if let code { phashes[Int32(i)] = code } else { featureFailure[Int32(i)] = status + (detail.map { ": " + $0 } ?? "") }
                if !options.dryRun {
                    try insert.run([.integer(imageIDs[i]), code.map { .integer(Int64(bitPattern: $0)) } ?? .null, .text(status), detail.map { .text($0) } ?? .null])
                }
            }
            if !options.dryRun { try db.execute("COMMIT") }
        }
        try db.forEach("SELECT image_id, phash, status, detail FROM image_features") { row in
            guard let i = imageIndex[row.integer(0)] else { return }
            if !row.isNull(1) { phashes[i] = UInt64(bitPattern: row.integer(1)) }
            else { featureFailure[i] = (row.text(2) ?? "corrupt") + (row.text(3).map { ": " + $0 } ?? "") }
        }
    }

    private func locations(_ ids: [Int64]) throws -> [StoredImageLocation?] {
        var found: [Int64: StoredImageLocation] = [:]
        let list = ids.map(String.init).joined(separator: ",")
        try db.forEach(StoredImageLocation.catalogQuery + " WHERE i.id IN (\(list))") { row in
            found[row.integer(0)] = StoredImageLocation(sourcePath: row.text(1) ?? "", mirrorPath: row.text(2),
                                                        codec: row.text(3) ?? "", offset: row.integer(4), length: row.integer(5))
        }
        return ids.map { found[$0] }
    }
}
