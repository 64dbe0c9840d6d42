import CurateCore
import Dispatch
import Foundation
import Imaging
import Render
import Synchronization

/// Makes samples from pending ones: each image of a batch read, resized and encoded once (on
/// every core), then jpg, txt, render.png and json per sample. One catalog's build-shards and a
/// unit's shard task make the same bytes from the same pending samples.
struct SampleMaker {
    let options: BuildShardsOptions
    let renderer: TextRenderer
    let read: StoredImageReader

    struct Failed: Error { var reason: String }

    /// The samples of `batch` (inputs `firstPosition`… of a split whose keys start with `key`), or
    /// the reason each could not be made.
    func make(_ batch: [PendingSample], firstPosition: Int, key: String, location: (PendingSample) -> StoredImageLocation?) -> [Result<Sample, Failed>] {
        let images = Array(Set(batch.map(\.imageID))).sorted()
        var known: [Int64: StoredImageLocation] = [:]
        for p in batch where known[p.imageID] == nil { if let found = location(p) { known[p.imageID] = found } }
        let locations = known
        let made = Mutex<[Int64: Made]>([:])
        let mode = options.resize, quality = options.jpegQuality, read = self.read
        DispatchQueue.concurrentPerform(iterations: images.count) { i in
            let id = images[i]
            let result: Made
            if let location = locations[id] {
                do {
                    let bytes = try read(location)
                    let jpeg = try bytes.withUnsafeBytes { try Thumbnailer.thumbnail($0, mode: mode, format: .jpeg(quality: quality)).encoded }
                    result = .jpeg(jpeg)
                } catch let error as ReasonedError { result = .failed(error.reason.rawValue) }
                catch let error as ImagingError { result = .failed(error.reason.rawValue) }
                catch { result = .failed(DropReason.corrupt.rawValue) }
            } else {
                result = .failed(DropReason.unreadable.rawValue)
            }
            made.withLock { $0[id] = result }
        }
        let jpegs = made.withLock { $0 }
        return batch.enumerated().map { offset, pending in
            switch jpegs[pending.imageID]! {
            case .failed(let reason): return .failure(Failed(reason: reason))
            case .jpeg(let jpeg):
                do { return .success(try sample(pending, key: String(format: "%@%09d", key, firstPosition + offset), jpeg: jpeg)) }
                catch { return .failure(Failed(reason: DropReason.corrupt.rawValue)) }
            }
        }
    }

    /// jpg, txt, render.png, json: adjacent, in this order.
    func sample(_ p: PendingSample, key: String, jpeg: [UInt8]) throws -> Sample {
        let metadata = SampleMetadata(key: key, pageURL: p.pageURL, imageURL: p.imageURL, imageSHA256: p.imageSHA, width: p.width, height: p.height,
                                      textSource: p.source, tags: p.weak?.tags, rank: p.weak?.rank,
                                      score: p.weak.map { ($0.score * 1e6).rounded() / 1e6 }, language: p.language)
        let json = try metadata.encoded()
        return Sample(key: key, members: [("jpg", jpeg), ("txt", Array(p.text.utf8)), ("render.png", try renderer.renderGray(p.text).encodedPNG()),
                                          ("json", Array(json))])
    }

    /// CLIPPO's text/text pair at `position`: KEY.txt, KEY.next.txt and their renders.
    static func textPair(position: Int, first: String, next: String, renderer: TextRenderer) throws -> Sample {
        Sample(key: String(format: "p%09d", position), members: [
            ("txt", Array(first.utf8)), ("next.txt", Array(next.utf8)),
            ("render.png", try renderer.renderGray(first).encodedPNG()), ("next.render.png", try renderer.renderGray(next).encodedPNG()),
        ])
    }
}
