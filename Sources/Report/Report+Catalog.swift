// The sections read from the catalog: the runs, the funnel from crawl to shards, each filter
// rule's drops, the weak pairs and the eval decontamination list.
import Foundation
import Catalog
import CurateCore

extension Report {
    func runsSection() -> HTML.Section {
        guard catalog != nil else {
            return .notRun(id: "runs", title: "Runs", "no catalog.sqlite in \(options.work); run curate crawl-dump DUMP --work \(options.work)")
        }
        let runs = read { try $0.runs() } ?? []
        let body = HTML.table(["run", "command", "started", "finished", "options"], runs.map { r in
            var options = r.options
            // A filter run's options hold its whole rules file: shown by its size.
            if r.command == RunCommand.filter.rawValue, let filter = CatalogJSON.decode(FilterRun.Options.self, r.options) {
                options = "rules: \(filter.rules.split(separator: "\n").count) lines (printed by the run)"
                    + (filter.evalImages.map { $0.isEmpty ? "" : "; eval images: " + $0.joined(separator: ", ") } ?? "")
            }
            return ["\(r.id)", HTML.escape(r.command), HTML.escape(r.started),
                    r.finished.map(HTML.escape) ?? "<span class=\"notrun\">did not finish</span>", "<code>\(HTML.escape(String(options.prefix(240))))</code>"]
        }, numeric: [0])
        return HTML.Section(id: "runs", title: "Runs", ran: true, body: body)
    }

    // MARK: Funnel

    func funnelSection() -> HTML.Section {
        guard catalog != nil else {
            return .notRun(id: "funnel", title: "Funnel: crawl to shards", "crawl-dump has not written \(options.work)/catalog.sqlite")
        }
        let crawl = read { try $0.crawlCounts() } ?? CatalogStore.CrawlCounts()
        let (pages, refs, resolved, images, pairs, sentences) = (crawl.pages, crawl.references, crawl.resolvedReferences, crawl.images, crawl.pairs, crawl.sentences)
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
        for skip in crawl.skips {
            row("", "skipped record: <code>\(HTML.escape(skip.reason))</code> × \(skip.count)", "", "")
        }
        // curate fetch's URLs by outcome: the images it brought are in crawl-dump's row above
        // (its WARC files are cataloged like the dump); what it could not get, with why.
        let fetched = read { try $0.fetchOutcomeCounts() } ?? []
        if !fetched.isEmpty {
            let urls = fetched.reduce(0) { $0 + $1.count }
            let ok = fetched.first { $0.outcome == "ok" }?.count ?? 0
            row("curate fetch", "\(HTML.number(urls)) URLs of references the dump lacked: \(HTML.number(ok)) images fetched", "+\(HTML.number(ok))", "")
            for outcome in fetched where outcome.outcome != "ok" {
                row("", "not fetched: <code>\(HTML.escape(outcome.outcome))</code> × \(HTML.number(outcome.count))", "", "")
            }
        }
        if let rules = filterRun?.summary?.rules {
            for rule in rules {
                let name = rule.rule
                let link = rule.droppedImages + rule.droppedPairs > 0 ? "<a href=\"#drop-\(HTML.escape(name))\"><code>\(HTML.escape(name))</code></a>" : "<code>\(HTML.escape(name))</code>"
                let note = rule.note.map { " <span class=\"muted\">\(HTML.escape($0))</span>" } ?? ""
                row("filter", link + " (\(HTML.escape(rule.set)))" + (rule.enabled ? "" : " disabled") + note,
                    "−\(HTML.number(rule.droppedImages)) → \(HTML.number(rule.imagesLeft))",
                    "−\(HTML.number(rule.droppedPairs)) → \(HTML.number(rule.pairsLeft))", bar(rule.pairsLeft))
            }
        } else {
            row("filter", "<span class=\"notrun\">not run</span>", "", "")
        }
        if weakPairsRun != nil {
            let (weak, weakImages) = read { try $0.weakPairCounts() } ?? (0, 0)
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
        guard filterRun != nil else {
            return .notRun(id: "drops", title: title, "curate filter has not run on \(options.work); run curate filter --work \(options.work)")
        }
        let rules = read { try $0.dropsByRule() } ?? []
        let order = ruleOrder()
        var body = "<p class=\"muted\">Each card: the image (for a near-duplicate, the dropped image on the left and the one it is near on the right: the image kept, or the eval image), a text of it, its ids and the reason filter recorded.</p>"
        for rule in rules.sorted(by: { (order[$0.rule] ?? .max) < (order[$1.rule] ?? .max) }) {
            let name = rule.rule, imageCount = rule.images, pairCount = rule.pairs
            body += "<h3 id=\"drop-\(HTML.escape(name))\"><code>\(HTML.escape(name))</code>: \(HTML.number(imageCount)) images, \(HTML.number(pairCount)) pairs</h3><div class=\"grid\">"
            if imageCount > 0 {
                for e in read({ try $0.droppedImages(rule: name, limit: options.examples) }) ?? [] {
                    let id = e.decision.id
                    let text = e.text.map { "“\(HTML.escape($0))”" } ?? "<span class=\"muted\">(no text)</span>"
                    let dropped = catalogImage(id, assets, alt: "image \(id)")
                    let shown = relatedImage(e.decision, assets).map { "<div class=\"pair\">\(dropped)\($0)</div>" } ?? dropped
                    body += "<div class=\"card\">\(shown)<div>\(text)</div>"
                        + "<div class=\"muted\">image \(id), \(e.width)×\(e.height)</div><div class=\"reason\">\(HTML.escape(e.decision.detail.text ?? name))</div></div>"
                }
            } else {
                for e in read({ try $0.droppedPairs(rule: name, limit: options.examples) }) ?? [] {
                    body += "<div class=\"card\">\(catalogImage(e.imageID, assets, alt: "image \(e.imageID)"))<div>“\(HTML.escape(e.text))”</div>"
                        + "<div class=\"muted\">pair \(e.decision.id) (\(HTML.escape(e.source)))</div><div class=\"reason\">\(HTML.escape(e.decision.detail.text ?? name))</div></div>"
                }
            }
            body += "</div>"
        }
        if rules.isEmpty { body = "<p>The last filter run dropped nothing.</p>" }
        return HTML.Section(id: "drops", title: title, ran: true, body: body)
    }

    /// The image a near-duplicate drop points at, shown beside the dropped one: the image kept
    /// in its place, or the eval image.
    func relatedImage(_ decision: FilterDecision, _ assets: Assets) -> String? {
        if decision.check == DecisionCheck.nearDuplicate, let id = decision.detail.relatedImageID {
            return catalogImage(id, assets, alt: "the image kept: \(id)")
        }
        if decision.check == DecisionCheck.evalNearDuplicate, let path = decision.detail.evalPath {
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
        var order: [String: Int] = [:]
        for (i, rule) in (filterRun?.summary?.rules ?? []).enumerated() { order[rule.rule] = i }
        return order
    }

    // MARK: Curation: languages and MetaCLIP's balancing

    func curationSection() -> HTML.Section {
        let title = "Languages and MetaCLIP balancing"
        guard filterRun != nil else { return .notRun(id: "curation", title: title, "curate filter has not run on \(options.work)") }
        var body = ""
        let languages = read { try $0.keptLanguages() } ?? []
        let total = languages.reduce(0) { $0 + $1.pairs }
        if total > 0 {
            body += "<h3>Languages of the kept texts (CLD2)</h3><p class=\"muted\"><code>un</code>: CLD2 cannot tell (most texts of one to three words). "
                + "Every pair's language and confidence are in <code>text_languages</code> and in each sample's json.</p>"
            body += HTML.table(["language", "kept pairs", "share"], languages.prefix(12).map {
                [$0.language, HTML.number($0.pairs), String(format: "%.1f%%", 100 * Double($0.pairs) / Double(total))]
            }, numeric: [1, 2])
        }
        let entries = read { try $0.metadataEntries() } ?? []
        guard !entries.isEmpty else {
            return HTML.Section(id: "curation", title: title, ran: true,
                                body: body + "<p>The last filter run had no <code>metadata_substring</code> rule (MetaCLIP: <code>curate metadata</code>, then <code>--rules built-in:metaclip.toml</code>).</p>")
        }
        let matches = entries.reduce(0) { $0 + $1.matches }, kept = entries.reduce(0) { $0 + $1.kept }
        let balanced = entries.contains { $0.probability < 1 }
        let t = entries.filter { $0.probability < 1 }.map { Int((Double($0.matches) * $0.probability).rounded()) }.first
        body += "<h3>MetaCLIP: matches per metadata entry</h3><p>\(HTML.number(entries.count)) entries matched at least once, "
            + "\(HTML.number(matches)) matches in all; after balancing their pairs hold \(HTML.number(kept)) matches"
            + (t.map { " (t = \(HTML.number($0)): an entry matched c times kept each pair with probability t / max(c, t))" } ?? (balanced ? "" : " (no balanced_sampling rule ran)"))
            + ". Each entry's own draws keep about min(c, t) of its pairs (the head flattened to t, the tail whole); a pair is kept when any of its entries "
            + "draws it, so the pairs of an entry kept in the end also count those another entry kept. Every entry's figures are in <code>metadata_entries</code>.</p>"
        // Entry frequency against rank, both on log scales: before balancing and after (the kept pairs).
        func curve(_ values: [Int]) -> [(Double, Double)] {
            let sorted = values.filter { $0 > 0 }.sorted(by: >)
            var points: [(Double, Double)] = []
            var rank = 1
            while rank <= sorted.count {
                points.append((log10(Double(rank)), log10(Double(sorted[rank - 1]))))
                rank = max(rank + 1, Int(Double(rank) * 1.15))
            }
            if let last = sorted.last, points.last?.0 != log10(Double(sorted.count)) { points.append((log10(Double(sorted.count)), log10(Double(last)))) }
            return points
        }
        body += "<div class=\"charts\">" + HTML.chart(title: "pairs per entry", series: [
            ("matches", "#4a7fc1", curve(entries.map(\.matches))), ("drawn", "#2a9d3a", curve(entries.map(\.drawn))),
            ("kept", "#c1574a", curve(entries.map(\.kept))),
        ], xLabel: "rank", tickLabel: { String(format: "%.0f", pow(10, $0)) }) + "</div>"
        body += HTML.table(["entry", "matches", "probability", "reached", "drawn", "kept in the end"], entries.prefix(15).map {
            [HTML.escape($0.entry), HTML.number($0.matches), HTML.fixed($0.probability, 4), HTML.number($0.reached), HTML.number($0.drawn), HTML.number($0.kept)]
        }, numeric: [1, 2, 3, 4, 5])
        return HTML.Section(id: "curation", title: title, ran: true, body: body)
    }

    // MARK: Weak pairs

    func weakPairsSection(_ assets: Assets) -> HTML.Section {
        let title = "Weak pairs (µ-VLA)"
        guard let run = weakPairsRun else {
            return .notRun(id: "weak", title: title, "curate weak-pairs has not run on \(options.work) (curate build-shards runs it when its output is missing)")
        }
        var body = "<p class=\"muted\">\(HTML.escape(run.summary?.text ?? "").replacingOccurrences(of: "\n", with: "<br>"))</p>"
        for example in read({ try $0.weakPairExamples(limit: options.examples) }) ?? [] {
            let (id, pairs) = (example.imageID, example.pairs)
            guard let first = pairs.first else { continue }
            body += "<div class=\"wide\"><div>\(catalogImage(id, assets, alt: "image \(id)"))<div class=\"muted\">image \(id)</div></div><div>"
                + "<div>tags (\(HTML.escape(first.tagSource))): " + first.tags.map { "<code>\(HTML.escape($0))</code>" }.joined(separator: " ") + "</div><ol>"
                + pairs.map { "<li>\(HTML.escape($0.text)) <span class=\"muted\">(score \(HTML.fixed($0.score, 2)))</span></li>" }.joined()
                + "</ol></div></div>"
        }
        return HTML.Section(id: "weak", title: title, ran: true, body: body)
    }

    // MARK: Decontamination

    func decontaminationSection(_ assets: Assets) -> HTML.Section {
        let title = "Eval decontamination"
        guard filterRun != nil else {
            return .notRun(id: "decontamination", title: title, "curate filter has not run on \(options.work)")
        }
        let list = read { try $0.decontaminationList() } ?? []
        guard !list.isEmpty else {
            return HTML.Section(id: "decontamination", title: title, ran: true,
                                body: "<p>No crawled image was near an eval image (or curate filter ran without --eval-images).</p>")
        }
        let images = Set(list.map(\.imageID)).count, evals = Set(list.map(\.evalPath)).count
        let dropped = read { try $0.droppedImages(check: DecisionCheck.evalNearDuplicate) } ?? 0
        var body = "<p>\(HTML.number(images)) crawled images were within the pHash radius of \(HTML.number(evals)) eval images. "
            + "\(HTML.number(dropped)) of them were still in the data when <code>eval_near_duplicate</code> ran and were dropped by it; earlier rules had dropped the others. "
            + "The whole list is in <code>\(HTML.escape(options.work))/decontamination.jsonl</code>.</p><div class=\"grid\">"
        var seen = Set<Int64>()
        for r in list where seen.insert(r.imageID).inserted && seen.count <= options.examples * 2 {
            let evalImage = evalThumbnail(r.evalPath, assets)
            body += "<div class=\"card\"><div class=\"pair\">\(catalogImage(r.imageID, assets, alt: "crawled image \(r.imageID)"))"
                + HTML.image(evalImage, alt: "eval image", why: "eval file not found") + "</div>"
                + "<div>crawled image \(r.imageID) ↔ <code>\(HTML.escape((r.evalPath as NSString).lastPathComponent))</code>, distance \(r.distance)</div>"
                + "<div class=\"muted\">\(HTML.escape(r.url ?? ""))</div></div>"
        }
        // The fold-out list stops at `listed` rows: a page of a large crawl stays small; the file has all.
        let listed = 5_000
        body += "</div><details><summary>\(list.count > listed ? "The first \(HTML.number(listed)) of" : "All") \(HTML.number(list.count)) matches</summary>"
            + HTML.table(["image", "url", "eval image", "distance"], list.prefix(listed).map {
                ["\($0.imageID)", HTML.escape($0.url ?? ""), HTML.escape($0.evalPath), "\($0.distance)"]
            }, numeric: [0, 3]) + "</details>"
        return HTML.Section(id: "decontamination", title: title, ran: true, body: body)
    }
}
