import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `--url-session LIST CONNECTIONS`: the URLs of LIST (one per line) fetched with Foundation's
/// URLSession (libcurl underneath on Linux), CONNECTIONS at once, bodies held and dropped: the
/// transport alone, to weigh against AsyncHTTPClient (ARCHITECTURE.md, Fetch). Prints one line.
func urlSessionBench(list: String, connections: Int) {
    let urls = ((try? String(contentsOfFile: list, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { URL(string: String($0)) }
    let configuration = URLSessionConfiguration.ephemeral
    configuration.httpMaximumConnectionsPerHost = connections
    configuration.timeoutIntervalForRequest = 20
    let session = URLSession(configuration: configuration)
    let done = DispatchSemaphore(value: 0)
    final class Count: @unchecked Sendable { var ok = 0, bytes = 0, seconds = 0.0 }
    let count = Count()
    Task {
        let started = Date()
        await withTaskGroup(of: (Bool, Int).self) { group in
            var inFlight = 0
            for url in urls {
                if inFlight >= connections, let (ok, bytes) = await group.next() {
                    inFlight -= 1
                    if ok { count.ok += 1; count.bytes += bytes }
                }
                group.addTask {
                    guard let (data, response) = try? await session.data(from: url) else { return (false, 0) }
                    return ((response as? HTTPURLResponse)?.statusCode == 200, data.count)
                }
                inFlight += 1
            }
            for await (ok, bytes) in group where ok { count.ok += 1; count.bytes += bytes }
        }
        count.seconds = Date().timeIntervalSince(started)
        done.signal()
    }
    done.wait()
    print(String(format: "URLSession: %d images (%.1f MB) in %.2f s = %.0f images/s", count.ok, Double(count.bytes) / 1e6, count.seconds, Double(count.ok) / count.seconds))
}
