// The sections read from the stages' files: kept samples from the shards, the training curves
// and recall from the model folder's metrics.jsonl, and retrieval with the last checkpoint.
import Foundation
import CurateCore

extension Report {
    // MARK: Kept samples

    /// The first `count` samples of the shards whose names start with `prefix`, in shard order;
    /// a damaged shard gives the samples before the damage and a warning.
    func shardSamples(prefix: String, count: Int) -> [RawSample] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: options.shardFolder) else { return [] }
        let reader = SampleReader(shards: names.filter { $0.hasPrefix(prefix) && $0.hasSuffix(".tar") }.sorted().map { options.shardFolder + "/" + $0 })
        var samples: [RawSample] = []
        while samples.count < count, let sample = reader.next() { samples.append(sample) }
        warnings += reader.damage
        return samples
    }

    func keptSection(_ assets: Assets) -> HTML.Section {
        let title = "Kept samples (train shards)"
        guard shardManifest() != nil else {
            return .notRun(id: "kept", title: title, "curate build-shards has not written \(options.shardFolder)/manifest.json; run curate build-shards --work \(options.work)")
        }
        var body = "<p class=\"muted\">The first train samples in shard order (shards are shuffled): the image as stored, its caption and the caption as CLIPPO renders it (<code>render.png</code>, Unifont).</p><div class=\"grid\">"
        for sample in shardSamples(prefix: "train-", count: options.examples * 2) {
            let caption = sample.members["txt"].map { String(decoding: $0, as: UTF8.self) } ?? ""
            let metadata = SampleMetadata.decode(sample.members["json"])
            let source = metadata?.textSource.rawValue ?? "?"
            let image = sample.members["jpg"].flatMap { assets.thumbnail($0, name: "s\(sample.key)") }
            let render = sample.members["render.png"].flatMap { assets.copy($0, name: "s\(sample.key).render.png") }
            let tags = metadata?.tags.map { " · tags " + $0.map(HTML.escape).joined(separator: ", ") } ?? ""
            body += "<div class=\"card\">\(HTML.image(image, alt: caption, why: "image does not decode"))<div>“\(HTML.escape(caption))”</div>"
                + "<div class=\"muted\">\(sample.key) · \(HTML.escape(source))\(tags)</div>"
                + (render.map { "<img class=\"render\" src=\"\($0)\" alt=\"rendered caption\">" } ?? "<div class=\"noimg\">no render.png</div>") + "</div>"
        }
        body += "</div>"
        let textPairs = shardSamples(prefix: "textpairs-", count: 3)
        if !textPairs.isEmpty {
            body += "<h3>Text pairs (consecutive sentences, CLIPPO's co-training)</h3><div class=\"grid\">"
            for pair in textPairs {
                let a = pair.members["txt"].map { String(decoding: $0, as: UTF8.self) } ?? "", b = pair.members["next.txt"].map { String(decoding: $0, as: UTF8.self) } ?? ""
                body += "<div class=\"card\"><div>“\(HTML.escape(a))” → “\(HTML.escape(b))”</div><div class=\"muted\">\(pair.key)</div></div>"
            }
            body += "</div>"
        }
        return HTML.Section(id: "kept", title: title, ran: true, body: body)
    }

    // MARK: Training

    /// metrics.jsonl's lines: per-step lines and evaluation lines.
    func metrics() -> (steps: [MetricsLine], evals: [(step: Int, recall: Recall)])? {
        guard let text = try? String(contentsOfFile: options.modelFolder + "/metrics.jsonl", encoding: .utf8) else { return nil }
        let lines = MetricsLine.lines(of: text)
        let steps = lines.filter(\.isStep)
        var evals: [(step: Int, recall: Recall)] = []
        for line in lines { if let recall = line.eval { evals.append((line.step, recall)) } }
        return steps.isEmpty && evals.isEmpty ? nil : (steps, evals)
    }

    func trainingSection() -> HTML.Section {
        let title = "Training"
        guard let (steps, evals) = metrics() else {
            return .notRun(id: "training", title: title, "no \(options.modelFolder)/metrics.jsonl; run curate train --shards \(options.shardFolder) --out \(options.modelFolder)")
        }
        func series(_ value: KeyPath<MetricsLine, Double?>) -> [(Double, Double)] {
            steps.compactMap { line in line[keyPath: value].map { (Double(line.step), $0) } }
        }
        let loss = series(\.loss)
        // The loss of one batch is noisy: a moving average over 1/50 of the run shows its trend.
        let window = max(1, loss.count / 50)
        let smooth = loss.indices.map { i in
            let part = loss[max(0, i - window + 1)...i]
            return (loss[i].0, part.reduce(0) { $0 + $1.1 } / Double(part.count))
        }
        func recall(_ direction: KeyPath<Recall, [Double]>) -> [(Double, Double)] {
            evals.compactMap { eval in eval.recall[keyPath: direction].first.map { (Double(eval.step), $0) } }
        }
        var body = "<div class=\"charts\">"
        body += HTML.chart(title: "loss (batch; moving average)", series: [("batch", "#b8c7dd", loss), ("average", "#1f4e8c", smooth)])
        if !evals.isEmpty {
            body += HTML.chart(title: "val recall@1", series: [("image→text", "#c0392b", recall(\.imageToText)), ("text→image", "#27ae60", recall(\.textToImage))], zeroBased: true)
        }
        body += HTML.chart(title: "learning rate", series: [("lr", "#8e44ad", series(\.lr))], zeroBased: true)
        body += HTML.chart(title: "temperature", series: [("1/τ", "#d35400", series(\.temperature))])
        body += "</div>"
        let seconds = steps.reduce(0.0) { $0 + ($1.stepSeconds ?? 0) }
        let rates = steps.compactMap(\.pairsPerSecond).sorted()
        let lastStep = steps.last?.step ?? evals.last?.step ?? 0
        body += "<p>\(HTML.number(lastStep)) steps in \(HTML.number(Int(seconds.rounded()))) s of steps"
            + (rates.isEmpty ? "" : ", median \(HTML.number(Int(rates[rates.count / 2].rounded()))) pairs/s") + ".</p>"
        if let last = evals.last {
            let r = last.recall
            let rows: [(String, [Double])] = [("image → text", r.imageToText), ("chance", r.imageToTextChance),
                                              ("text → image", r.textToImage), ("chance", r.textToImageChance)]
            body += "<h3>Final recall (step \(last.step), \(r.count) val pairs of \(r.images) images)</h3>" + recallTable(rows)
        }
        if let options = checkpointMetadata()?["curate.train.options"] {
            body += "<details><summary>Training options (from the last checkpoint)</summary><pre>\(HTML.escape(options))</pre></details>"
        }
        return HTML.Section(id: "training", title: title, ran: true, body: body)
    }

    func recallTable(_ rows: [(String, [Double])]) -> String {
        HTML.table(["", "R@1", "R@5", "R@10"], rows.map { [HTML.escape($0.0)] + $0.1.map { HTML.fixed($0) } }, numeric: [1, 2, 3])
    }

    /// The checkpoint with the highest step in the model folder.
    func lastCheckpoint() -> String? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: options.modelFolder) else { return nil }
        return names.filter { $0.hasPrefix("step-") && $0.hasSuffix(".safetensors") }.max().map { options.modelFolder + "/" + $0 }
    }

    /// The last checkpoint's safetensors metadata, through the reader the caller passed.
    func checkpointMetadata() -> [String: String]? {
        guard let path = lastCheckpoint(), let read = checkpointMetadataReader else { return nil }
        return read(path)
    }

    // MARK: Retrieval

    func retrievalSection(_ assets: Assets) -> HTML.Section {
        let title = "Retrieval with the trained model"
        guard let checkpoint = lastCheckpoint() else {
            return .notRun(id: "retrieval", title: title, "no checkpoint in \(options.modelFolder); run curate train")
        }
        guard let retriever else {
            return .notRun(id: "retrieval", title: title, "this report was written without a model")
        }
        let results: RetrievalResults
        do { results = try retriever(checkpoint, options.shardFolder, options.queries, options.automaticQueries, options.top, options.truth) } catch {
            warnings.append("retrieval with \(checkpoint) failed: \(error)")
            return .notRun(id: "retrieval", title: title, "the checkpoint \(checkpoint) could not be used: \(error)")
        }
        var body = "<p class=\"muted\">Checkpoint <code>\(HTML.escape(checkpoint))</code>. Recall counts as COCO does: an image with several captions is one image, found by any of them. Queries are rendered with Unifont as in training and compared with every val image; a green frame marks the image the caption came from.</p>"
        for named in results.recalls {
            let r = named.recall
            body += "<h3>Recall over \(HTML.escape(named.name)) (\(r.count) of \(r.images) images)</h3>"
                + recallTable([("image → text", r.imageToText), ("chance", r.imageToTextChance), ("text → image", r.textToImage), ("chance", r.textToImageChance)])
        }
        if let search = results.shapeSearch {
            body += "<h3>Colour-and-shape search: \(HTML.fixed(search.mean))</h3><p class=\"muted\">Judged against <code>\(HTML.escape(options.truth ?? ""))</code>: "
                + "for each colour and shape that some of the \(HTML.number(search.images)) val images hold (\(search.colours) colours, \(search.shapes) shapes, \(search.queries.count) queries), "
                + "the fraction of the top min(5, R) images that hold an object of that colour and shape, R being how many val images do; averaged.</p>"
                + "<details><summary>Every query</summary>"
                + HTML.table(["query", "R", "precision"], search.queries.map { [HTML.escape($0.query), HTML.number($0.relevant), HTML.fixed($0.precision)] }, numeric: [1, 2])
                + "</details>"
        }
        for example in results.examples {
            let rank = example.expectedKey.flatMap { key in example.hits.firstIndex { $0.key == key } }
            let verdict = example.expectedKey == nil ? "your query" : rank.map { "its image ranked \($0 + 1)" } ?? "its image not in the top \(example.hits.count)"
            body += "<h3>“\(HTML.escape(example.query))” <span class=\"muted\">(\(verdict))</span></h3><div class=\"row\">"
            for hit in example.hits {
                let image = assets.thumbnail(hit.image, name: "s\(hit.key)")
                let mark = hit.key == example.expectedKey ? " hit" : ""
                body += "<div class=\"card\">" + (image.map { "<img class=\"\(mark)\" src=\"\($0)\" alt=\"\(HTML.escape(hit.caption))\">" } ?? HTML.image(nil, alt: "", why: "does not decode"))
                    + "<div>\(HTML.fixed(Double(hit.score))) · \(HTML.escape(hit.key))</div><div class=\"muted\">“\(HTML.escape(hit.caption))”</div></div>"
            }
            body += "</div>"
        }
        return HTML.Section(id: "retrieval", title: title, ran: true, body: body)
    }
}
