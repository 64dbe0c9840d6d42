// The sections read from the catalog: the runs, the funnel from crawl to shards, each filter
// rule's drops, the weak pairs and the eval decontamination list.
import Foundation
import Catalog

extension Report {
    /// Rows spread over a table instead of its first ids: ordered by a multiplicative hash of the
    /// id (Knuth's), the same rows every time.
    static func spread(_ column: String) -> String { "(\(column) * 2654435761) % 4294967296" }

    func runsSection() -> HTML.Section {
        guard catalog != nil else {
            return .notRun(id: "runs", title: "Runs", "no catalog.sqlite in \(options.work); run curate crawl-dump DUMP --work \(options.work)")
        }
        let runs = rows("SELECT id, command, started, finished, options FROM runs ORDER BY id")
        let body = HTML.table(["run", "command", "started", "finished", "options"], runs.map { r in
            let options = r[4].text ?? ""
            let short = options.hasPrefix("#") ? "rules: \(options.split(separator: "\n").count) lines (printed by the run)" : options
            return ["\(r[0].int)", HTML.escape(r[1].text ?? ""), HTML.escape(r[2].text ?? ""),
                    r[3].text.map(HTML.escape) ?? "<span class=\"notrun\">did not finish</span>", "<code>\(HTML.escape(String(short.prefix(240))))</code>"]
        }, numeric: [0])
        return HTML.Section(id: "runs", title: "Runs", ran: true, body: body)
    }

    // MARK: Funnel

    func funnelSection() -> HTML.Section {
        guard catalog != nil else {
            return .notRun(id: "funnel", title: "Funnel: crawl to shards", "crawl-dump has not written \(options.work)/catalog.sqlite")
        }
        let pages = scalar("SELECT count(*) FROM pages"), refs = scalar("SELECT count(*) FROM refs")
        let resolved = scalar("SELECT count(*) FROM refs WHERE status = 'resolved'")
        let images = scalar("SELECT count(*) FROM images"), pairs = scalar("SELECT count(*) FROM pairs")
        let sentences = scalar("SELECT count(*) FROM sentences")
        var table: [[String]] = []
        func bar(_ n: Int) -> String {
            let width = pairs > 0 ? max(1, Int((Double(n) / Double(pairs) * 240).rounded())) : 0
            return "<span class=\"bar\" style=\"width:\(width)px\"></span>"
        }
        func row(_ stage: String, _ step: String, _ images: String, _ pairs: String, _ bar: String = "") {
            table.append([stage, step, images, pairs, bar])
        }
        row("crawl-dump", "\(HTML.number(pages)) pages, \(HTML.number(sentences)) sentences, \(HTML.number(refs)) &lt;img&gt; references (\(HTML.number(resolved)) found in the dump)",
            HTML.number(images), HTML.number(pairs), bar(pairs))
        for r in rows("SELECT reason, count(*) FROM skips GROUP BY reason ORDER BY 2 DESC") {
            row("", "skipped record: <code>\(HTML.escape(r[0].text ?? ""))</code> × \(r[1].int)", "", "")
        }
        if let filter = lastRun("filter"), let summary = try? JSONSerialization.jsonObject(with: Data(filter.summary.utf8)) as? [String: Any],
           let rules = summary["rules"] as? [[String: Any]] {
            for rule in rules {
                let dropped = (rule["dropped_images"] as? Int ?? 0, rule["dropped_pairs"] as? Int ?? 0)
                let name = rule["rule"] as? String ?? "?"
                let enabled = rule["enabled"] as? Bool ?? true
                let link = dropped.0 + dropped.1 > 0 ? "<a href=\"#drop-\(HTML.escape(name))\"><code>\(HTML.escape(name))</code></a>" : "<code>\(HTML.escape(name))</code>"
                let note = (rule["note"] as? String).map { " <span class=\"muted\">\(HTML.escape($0))</span>" } ?? ""
                row("filter", link + " (\(HTML.escape(rule["set"] as? String ?? "")))" + (enabled ? "" : " disabled") + note,
                    "−\(HTML.number(dropped.0)) → \(HTML.number(rule["images_left"] as? Int ?? 0))",
                    "−\(HTML.number(dropped.1)) → \(HTML.number(rule["pairs_left"] as? Int ?? 0))", bar(rule["pairs_left"] as? Int ?? 0))
            }
        } else {
            row("filter", "<span class=\"notrun\">not run</span>", "", "")
        }
        if hasTable("weak_pairs"), lastRun("weak-pairs") != nil {
            let weak = scalar("SELECT count(*) FROM weak_pairs"), weakImages = scalar("SELECT count(DISTINCT image_id) FROM weak_pairs")
            row("weak-pairs", "images without a kept alt text, paired with retrieved sentences", "+\(HTML.number(weakImages))", "+\(HTML.number(weak))")
        } else {
            row("weak-pairs", "<span class=\"notrun\">not run</span>", "", "")
        }
        if let manifest = shardManifest() {
            var counts: [String: (shards: Int, samples: Int)] = [:]
            for shard in manifest {
                let split = shard["split"] as? String ?? "?"
                counts[split, default: (0, 0)].shards += 1
                counts[split, default: (0, 0)].samples += shard["samples"] as? Int ?? 0
            }
            for split in counts.keys.sorted() {
                row("build-shards", "\(HTML.escape(split)): \(HTML.number(counts[split]!.shards)) shards", "", HTML.number(counts[split]!.samples) + " samples")
            }
        } else {
            row("build-shards", "<span class=\"notrun\">not run</span>", "", "")
        }
        let body = HTML.table(["stage", "step", "images", "pairs", "pairs left"], table, numeric: [2, 3])
            + "<p class=\"muted\">Image rules run first (an image dropped takes its pairs), then text rules. Counts are the last run's of each command.</p>"
        return HTML.Section(id: "funnel", title: "Funnel: crawl to shards", ran: true, body: body)
    }

    /// The shards listed in manifest.json, or nil when build-shards has not finished.
    func shardManifest() -> [[String: Any]]? {
        guard let data = FileManager.default.contents(atPath: options.shardFolder + "/manifest.json"),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return json["shards"] as? [[String: Any]]
    }

    // MARK: Drops

    func dropsSection(_ assets: Assets) -> HTML.Section {
        let title = "Drops, rule by rule"
        guard hasTable("filter_decisions"), lastRun("filter") != nil else {
            return .notRun(id: "drops", title: title, "curate filter has not run on \(options.work); run curate filter --work \(options.work)")
        }
        let rules = rows("SELECT rule, sum(item = 'image'), sum(item = 'pair') FROM filter_decisions GROUP BY rule")
        let order = ruleOrder()
        var body = "<p class=\"muted\">Each card: the image (for a near-duplicate, the dropped image on the left and the one it is near on the right: the image kept, or the eval image), a text of it, its ids and the reason filter recorded.</p>"
        for rule in rules.sorted(by: { (order[$0[0].text ?? ""] ?? .max) < (order[$1[0].text ?? ""] ?? .max) }) {
            let name = rule[0].text ?? "", imageCount = rule[1].int, pairCount = rule[2].int
            body += "<h3 id=\"drop-\(HTML.escape(name))\"><code>\(HTML.escape(name))</code>: \(HTML.number(imageCount)) images, \(HTML.number(pairCount)) pairs</h3><div class=\"grid\">"
            if imageCount > 0 {
                let examples = rows("""
                    SELECT d.id, d.detail, i.width, i.height, i.url, (SELECT text FROM pairs p WHERE p.image_id = d.id ORDER BY p.id LIMIT 1)
                    FROM filter_decisions d JOIN images i ON i.id = d.id WHERE d.item = 'image' AND d.rule = ?
                    ORDER BY \(Self.spread("d.id")) LIMIT ?
                    """, [.text(name), .integer(Int64(options.examples))])
                for e in examples {
                    let text = e[5].text.map { "“\(HTML.escape($0))”" } ?? "<span class=\"muted\">(no text)</span>"
                    let dropped = catalogImage(e[0].int64, assets, alt: "image \(e[0].int)")
                    let shown = relatedImage(detail: e[1].text ?? "", assets).map { "<div class=\"pair\">\(dropped)\($0)</div>" } ?? dropped
                    body += "<div class=\"card\">\(shown)<div>\(text)</div>"
                        + "<div class=\"muted\">image \(e[0].int), \(e[2].int)×\(e[3].int)</div><div class=\"reason\">\(HTML.escape(e[1].text ?? name))</div></div>"
                }
            } else {
                let examples = rows("""
                    SELECT d.id, d.detail, p.text, p.text_source, p.image_id FROM filter_decisions d JOIN pairs p ON p.id = d.id
                    WHERE d.item = 'pair' AND d.rule = ? ORDER BY \(Self.spread("d.id")) LIMIT ?
                    """, [.text(name), .integer(Int64(options.examples))])
                for e in examples {
                    body += "<div class=\"card\">\(catalogImage(e[4].int64, assets, alt: "image \(e[4].int)"))<div>“\(HTML.escape(e[2].text ?? ""))”</div>"
                        + "<div class=\"muted\">pair \(e[0].int) (\(HTML.escape(e[3].text ?? "")))</div><div class=\"reason\">\(HTML.escape(e[1].text ?? name))</div></div>"
                }
            }
            body += "</div>"
        }
        if rules.isEmpty { body = "<p>The last filter run dropped nothing.</p>" }
        return HTML.Section(id: "drops", title: title, ran: true, body: body)
    }

    /// The image a near-duplicate drop points at, shown beside the dropped one: filter's detail
    /// reads "near-duplicate of image ID (…)" or "within pHash N of eval image PATH".
    func relatedImage(detail: String, _ assets: Assets) -> String? {
        if let range = detail.range(of: "near-duplicate of image "),
           let id = Int64(detail[range.upperBound...].prefix { $0.isNumber }) {
            return catalogImage(id, assets, alt: "the image kept: \(id)")
        }
        if let range = detail.range(of: " of eval image ") {
            let path = String(detail[range.upperBound...])
            return HTML.image(evalThumbnail(path, assets), alt: "eval image", why: "eval file not found")
        }
        return nil
    }

    /// A thumbnail of an eval image file, named by its order of first use.
    func evalThumbnail(_ path: String, _ assets: Assets) -> String? {
        let number = evalNames[path] ?? evalNames.count
        evalNames[path] = number
        return FileManager.default.contents(atPath: path).flatMap { assets.thumbnail([UInt8]($0), name: "e\(number)") }
    }

    /// Each rule's position in the last filter run, so the grids follow the funnel's order.
    func ruleOrder() -> [String: Int] {
        guard let filter = lastRun("filter"), let summary = try? JSONSerialization.jsonObject(with: Data(filter.summary.utf8)) as? [String: Any],
              let rules = summary["rules"] as? [[String: Any]] else { return [:] }
        var order: [String: Int] = [:]
        for (i, rule) in rules.enumerated() { if let name = rule["rule"] as? String { order[name] = i } }
        return order
    }

    // MARK: Weak pairs

    func weakPairsSection(_ assets: Assets) -> HTML.Section {
        let title = "Weak pairs (µ-VLA)"
        guard hasTable("weak_pairs"), let run = lastRun("weak-pairs") else {
            return .notRun(id: "weak", title: title, "curate weak-pairs has not run on \(options.work) (curate build-shards runs it when its output is missing)")
        }
        let images = rows("SELECT DISTINCT image_id FROM weak_pairs ORDER BY \(Self.spread("image_id")) LIMIT ?", [.integer(Int64(options.examples))])
        var body = "<p class=\"muted\">\(HTML.escape(run.summary).replacingOccurrences(of: "\n", with: "<br>"))</p>"
        for image in images {
            let id = image[0].int64
            let pairs = rows("SELECT rank, text, score, tags, tag_source FROM weak_pairs WHERE image_id = ? ORDER BY rank", [.integer(id)])
            guard let first = pairs.first else { continue }
            let tags = (try? JSONSerialization.jsonObject(with: Data((first[3].text ?? "[]").utf8)) as? [String]) ?? []
            body += "<div class=\"wide\"><div>\(catalogImage(id, assets, alt: "image \(id)"))<div class=\"muted\">image \(id)</div></div><div>"
                + "<div>tags (\(HTML.escape(first[4].text ?? ""))): " + tags.map { "<code>\(HTML.escape($0))</code>" }.joined(separator: " ") + "</div><ol>"
                + pairs.map { "<li>\(HTML.escape($0[1].text ?? "")) <span class=\"muted\">(score \(HTML.fixed($0[2].double, 2)))</span></li>" }.joined()
                + "</ol></div></div>"
        }
        return HTML.Section(id: "weak", title: title, ran: true, body: body)
    }

    // MARK: Decontamination

    func decontaminationSection(_ assets: Assets) -> HTML.Section {
        let title = "Eval decontamination"
        guard hasTable("decontamination"), lastRun("filter") != nil else {
            return .notRun(id: "decontamination", title: title, "curate filter has not run on \(options.work)")
        }
        let list = rows("""
            SELECT d.image_id, d.eval_path, d.distance, i.url FROM decontamination d JOIN images i ON i.id = d.image_id
            ORDER BY d.image_id, d.distance, d.eval_path
            """)
        guard !list.isEmpty else {
            return HTML.Section(id: "decontamination", title: title, ran: true,
                                body: "<p>No crawled image was near an eval image (or curate filter ran without --eval-images).</p>")
        }
        let images = Set(list.map(\.[0].int)).count, evals = Set(list.map { $0[1].text ?? "" }).count
        let dropped = scalar("SELECT count(*) FROM filter_decisions WHERE item = 'image' AND rule = 'eval_near_duplicate'")
        var body = "<p>\(HTML.number(images)) crawled images were within the pHash radius of \(HTML.number(evals)) eval images. "
            + "\(HTML.number(dropped)) of them were still in the data when <code>eval_near_duplicate</code> ran and were dropped by it; earlier rules had dropped the others. "
            + "The whole list is in <code>\(HTML.escape(options.work))/decontamination.jsonl</code>.</p><div class=\"grid\">"
        var seen = Set<Int>()
        for r in list where seen.insert(r[0].int).inserted && seen.count <= options.examples * 2 {
            let evalPath = r[1].text ?? ""
            let evalImage = evalThumbnail(evalPath, assets)
            body += "<div class=\"card\"><div class=\"pair\">\(catalogImage(r[0].int64, assets, alt: "crawled image \(r[0].int)"))"
                + HTML.image(evalImage, alt: "eval image", why: "eval file not found") + "</div>"
                + "<div>crawled image \(r[0].int) ↔ <code>\(HTML.escape((evalPath as NSString).lastPathComponent))</code>, distance \(r[2].int)</div>"
                + "<div class=\"muted\">\(HTML.escape(r[3].text ?? ""))</div></div>"
        }
        // The fold-out list stops at `listed` rows: a page of a large crawl stays small; the file has all.
        let listed = 5_000
        body += "</div><details><summary>\(list.count > listed ? "The first \(HTML.number(listed)) of" : "All") \(HTML.number(list.count)) matches</summary>"
            + HTML.table(["image", "url", "eval image", "distance"], list.prefix(listed).map {
                ["\($0[0].int)", HTML.escape($0[3].text ?? ""), HTML.escape($0[1].text ?? ""), "\($0[2].int)"]
            }, numeric: [0, 3]) + "</details>"
        return HTML.Section(id: "decontamination", title: title, ran: true, body: body)
    }
}
