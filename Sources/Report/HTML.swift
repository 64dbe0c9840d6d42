import CurateCore
// The report's markup: escaping, the page around the sections, tables and line charts as inline
// SVG. Everything a browser needs is in the page or in files beside it: no scripts, no fonts, no
// network.
import Foundation

enum HTML {
    /// `text` with the five characters that HTML gives meaning to escaped (in text and attributes).
    static func escape(_ text: String) -> String { HTMLText.escaped(text) }

    /// A whole page: title, style, a table of contents of `sections` and the sections themselves.
    static func page(title: String, subtitle: String, sections: [Section]) -> String {
        let contents = sections.map { "<li><a href=\"#\($0.id)\">\(escape($0.title))</a>\($0.ran ? "" : " <span class=\"muted\">(not run)</span>")</li>" }
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>\(style)</style>
        </head>
        <body>
        <header><h1>\(escape(title))</h1><p class="muted">\(escape(subtitle))</p>
        <nav><ol>\(contents.joined())</ol></nav></header>
        \(sections.map(\.html).joined(separator: "\n"))
        </body>
        </html>

        """
    }

    /// One section of the report; `ran` is false for a stage that has not run, whose body then
    /// says what would produce it.
    struct Section {
        var id: String
        var title: String
        var ran: Bool
        var body: String

        var html: String {
            "<section id=\"\(id)\"><h2>\(HTML.escape(title))</h2>\n\(ran ? body : "<p class=\"notrun\">\(body)</p>")\n</section>"
        }

        static func notRun(id: String, title: String, _ what: String) -> Section {
            Section(id: id, title: title, ran: false, body: "Not run: " + HTML.escape(what))
        }
    }

    /// A table with a header row; cells are HTML already escaped by the caller.
    static func table(_ header: [String], _ rows: [[String]], numeric: Set<Int> = []) -> String {
        func row(_ cells: [String], tag: String) -> String {
            "<tr>" + cells.enumerated().map { "<\(tag)\(numeric.contains($0) ? " class=\"n\"" : "")>\($1)</\(tag)>" }.joined() + "</tr>"
        }
        return "<table>" + row(header.map(escape), tag: "th") + rows.map { row($0, tag: "td") }.joined(separator: "\n") + "</table>"
    }

    /// An image element for a file beside the page, or a grey box saying why there is none.
    static func image(_ path: String?, alt: String, why: String = "no preview") -> String {
        guard let path else { return "<div class=\"noimg\">\(escape(why))</div>" }
        return "<img src=\"\(escape(path))\" alt=\"\(escape(alt))\" loading=\"eager\">"
    }

    static func number(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    static func fixed(_ x: Double, _ places: Int = 3) -> String { String(format: "%.\(places)f", x) }

    /// A line chart as inline SVG: each series a polyline over shared axes, x and y ranges from
    /// the data (y from 0 when `zeroBased`), tick labels at both ends.
    static func chart(title: String, series: [(name: String, color: String, points: [(Double, Double)])], zeroBased: Bool = false,
                      xLabel: String = "step", tickLabel: ((Double) -> String)? = nil) -> String {
        let all = series.flatMap(\.points)
        guard let first = all.first else { return "" }
        let width = 440.0, height = 220.0, left = 52.0, right = 12.0, top = 26.0, bottom = 30.0
        var (x0, x1, y0, y1) = (first.0, first.0, first.1, first.1)
        for (x, y) in all { x0 = min(x0, x); x1 = max(x1, x); y0 = min(y0, y); y1 = max(y1, y) }
        if zeroBased { y0 = min(0, y0) }
        if x1 == x0 { x1 = x0 + 1 }
        if y1 == y0 { y1 = y0 + 1 }
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * (width - left - right) }
        func py(_ y: Double) -> Double { height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom) }
        let format = tickLabel
        func label(_ v: Double) -> String { format?(v) ?? (abs(v) >= 100 ? String(format: "%.0f", v) : String(format: "%.3g", v)) }
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\">"
        svg += "<text x=\"\(left)\" y=\"16\" class=\"ct\">\(escape(title))</text>"
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(width - left - right)\" height=\"\(height - top - bottom)\" class=\"frame\"/>"
        svg += "<text x=\"\(left - 4)\" y=\"\(py(y1) + 4)\" class=\"yl\">\(label(y1))</text><text x=\"\(left - 4)\" y=\"\(py(y0))\" class=\"yl\">\(label(y0))</text>"
        svg += "<text x=\"\(left)\" y=\"\(height - 10)\" class=\"xl\">\(label(x0))</text><text x=\"\(width - right)\" y=\"\(height - 10)\" class=\"xl end\">\(escape(xLabel)) \(label(x1))</text>"
        for (i, s) in series.enumerated() {
            let points = s.points.map { String(format: "%.1f,%.1f", px($0.0), py($0.1)) }.joined(separator: " ")
            svg += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"1.5\"/>"
            if s.points.count == 1 { svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%@\"/>", px(s.points[0].0), py(s.points[0].1), s.color) }
            if series.count > 1 || s.name != title {
                // Legends sit in the title row, right-aligned, last series rightmost.
                let x = width - right - Double(series.count - 1 - i) * 90
                svg += "<text x=\"\(x)\" y=\"16\" class=\"legend\" style=\"fill:\(s.color)\">\(escape(s.name))</text>"
            }
        }
        return svg + "</svg>"
    }

    static let style = """
    body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:0 20px 60px;color:#222}
    h1{margin:18px 0 4px}h2{border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:36px}h3{margin:22px 0 8px}
    .muted{color:#777}.notrun{color:#a05a00;background:#fff6e6;padding:8px 12px;border-radius:4px}
    nav ol{columns:3;padding-left:20px}
    table{border-collapse:collapse;margin:8px 0}td,th{border-bottom:1px solid #eee;padding:3px 8px;text-align:left;vertical-align:top}
    th{background:#f4f4f4}.n{text-align:right;font-variant-numeric:tabular-nums}
    .bar{display:inline-block;height:10px;background:#4a7fc1;vertical-align:middle}
    .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:12px}
    .card{border:1px solid #ddd;border-radius:4px;padding:6px;font-size:12px;overflow-wrap:anywhere;background:#fff}
    .card img{display:block;max-width:100%;max-height:160px;margin:0 auto 4px;image-rendering:auto}
    .card .render{max-height:none;width:100%;border:1px solid #eee;image-rendering:pixelated}
    .card .reason{color:#a02020}.card .hit{outline:3px solid #2a9d3a}
    .noimg{height:100px;display:flex;align-items:center;justify-content:center;background:#eee;color:#888;margin-bottom:4px;text-align:center}
    .wide{display:grid;grid-template-columns:180px 1fr;gap:12px;border-bottom:1px solid #eee;padding:8px 0}
    .wide img{max-width:180px;max-height:180px}
    .pair{display:flex;gap:6px}.pair img,.pair .noimg{max-width:calc(50% - 3px);max-height:120px;margin:0}
    .row{display:flex;gap:10px;overflow-x:auto;padding:4px 0}.row .card{min-width:150px;max-width:170px}
    svg.chart{width:440px;height:220px;margin:0 16px 16px 0;background:#fff}.charts{display:flex;flex-wrap:wrap}
    svg .frame{fill:none;stroke:#ccc}svg text{font-size:11px;fill:#555}svg .ct{font-weight:600;fill:#222;font-size:12px}
    svg .yl{text-anchor:end}svg .end{text-anchor:end}svg .legend{text-anchor:end}
    code{background:#f4f4f4;padding:0 3px}details{margin:8px 0}
    """
}
