import Foundation
import LgregVocabulary

/// The two plots of an `AccuracyReport` in one self-contained SVG (no script, no external font or style, so a
/// browser and `rsvg-convert` draw it alike): top-1 against depth, a line per strategy (dashed untuned, solid
/// tuned, a bar for the min–max range over seeds), and top-1 against the parameters each approach stores.
///
/// Every plotted point is a `<circle class="point">` with `data-series`, `data-kind` (`untuned`/`tuned`),
/// `data-depth`, `data-epochs`, `data-x` and `data-y` (in axis units) and a `<title>`; every panel is a
/// `<g class="panel">` with its axis transform (`data-x-min`, `data-x-max`, `data-y-min`, `data-y-max`,
/// `data-left`, `data-top`, `data-width`, `data-height`), so a reader can map pixels back to numbers.
public enum AccuracyPlot {
    /// One axis: a value range drawn over a pixel range.
    struct Axis {
        var min: Double, max: Double
        /// First pixel and length (y axes grow downwards: `pixel` flips them).
        var start: Double, length: Double
        var flipped: Bool

        func pixel(_ value: Double) -> Double {
            let fraction = (value - min) / (max - min)
            return flipped ? start + (1 - fraction) * length : start + fraction * length
        }
    }

    /// Twenty colours (matplotlib's tab10, then ten darker ones), so that a zoo's series rarely share one.
    static let palette = [
        "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
        "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#31a354", "#756bb1", "#e6550d", "#636363",
    ]
    static let panelWidth = 460.0, panelHeight = 320.0, top = 50.0, lefts = [80.0, 650.0]

    /// The SVG document.
    public static func svg(_ report: AccuracyReport) -> String {
        let figures = report.rows.flatMap { [$0.untuned, $0.tuned].compactMap { $0 }.flatMap { [$0.min, $0.max] } }.map
        { 100 * $0 }
        let yLow = max(0, ((figures.min() ?? 0) / 10).rounded(.down) * 10)
        var yHigh = min(100, ((figures.max() ?? 100) / 10).rounded(.up) * 10)
        if yHigh <= yLow { yHigh = min(100, yLow + 10) }
        let depths = Set(report.rows.map(\.depth)).sorted()
        let depthAxis = Axis(
            min: Double((depths.first ?? 1) - 1), max: Double((depths.last ?? 1) + 1), start: lefts[0],
            length: panelWidth, flipped: false)
        let parameterMax = niceStep((report.rows.map { Double($0.storedParameters) / 1e6 }.max() ?? 1) * 1.1)
        let parameterAxis = Axis(min: 0, max: parameterMax, start: lefts[1], length: panelWidth, flipped: false)
        let yAxis = Axis(min: yLow, max: yHigh, start: top, length: panelHeight, flipped: true)
        let colours = Dictionary(
            uniqueKeysWithValues: report.series.enumerated().map { ($1.key, palette[$0 % palette.count]) })

        // The legend: as many columns (up to 3) as its longest label allows, at about 7 px a character.
        let width = lefts[1] + panelWidth + 40
        let labels = report.series.map(legendLabel)
        let entryWidth = 40 + 7 * Double(labels.map(\.count).max() ?? 0)
        let legendColumns = max(1, min(3, Int((width - lefts[0]) / entryWidth)))
        let legendTop = top + panelHeight + 75
        let columnWidth = (width - lefts[0]) / Double(legendColumns)
        let legendRows = (report.series.count + legendColumns - 1) / legendColumns
        let height = legendTop + Double(legendRows + 1) * 20 + 10
        var out = [
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(format(width))" height="\#(format(height))" viewBox="0 0 \#(format(width)) \#(format(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">"#,
            #"<rect width="100%" height="100%" fill="white"/>"#,
            #"<text x="\#(format(width / 2))" y="22" text-anchor="middle" font-size="15">Top-1 on \#(escape(report.evalSet)): untuned (dashed, open) and tuned (solid, filled)</text>"#,
        ]

        // Panel 1: top-1 against depth.
        out += panelFrame(
            name: "depth", x: depthAxis, y: yAxis, xLabel: "Des-Net depth (layers)", yLabel: "Top-1 accuracy (%)",
            xTicks: depths.map { (Double($0), AccuracyReport.desNetName($0)) })
        for line in report.series {
            let rows = report.rows.filter { $0.series == line.key }
            let colour = colours[line.key]!
            let untuned = rows.compactMap { row in row.untuned.map { (Double(row.depth), 100 * $0.mean) } }
            out.append(polyline(uniqueByX(untuned), x: depthAxis, y: yAxis, colour: colour, dashed: true))
            for epochs in Set(rows.compactMap(\.tunedEpochs)).sorted() {
                let tuned = rows.filter { $0.tunedEpochs == epochs }.compactMap { row in
                    row.tuned.map { (Double(row.depth), 100 * $0.mean) }
                }
                out.append(polyline(tuned, x: depthAxis, y: yAxis, colour: colour, dashed: false))
            }
            for row in rows {
                out += points(
                    row, line: line, panel: "depth", xValue: Double(row.depth), x: depthAxis, y: yAxis, colour: colour)
            }
        }
        out.append("</g>")

        // Panel 2: top-1 against the parameters stored.
        out += panelFrame(
            name: "parameters", x: parameterAxis, y: yAxis, xLabel: "Parameters stored (millions)",
            yLabel: "Top-1 accuracy (%)",
            xTicks: ticks(parameterAxis.min, parameterAxis.max).map { ($0, format($0)) })
        for line in report.series {
            for row in report.rows where row.series == line.key {
                out += points(
                    row, line: line, panel: "parameters", xValue: Double(row.storedParameters) / 1e6, x: parameterAxis,
                    y: yAxis,
                    colour: colours[line.key]!)
            }
        }
        out.append("</g>")

        // Legend.
        out.append(#"<g class="legend">"#)
        for (index, line) in report.series.enumerated() {
            let x = lefts[0] + Double(index % legendColumns) * columnWidth
            let y = legendTop + Double(index / legendColumns) * 20
            out.append(
                #"<line x1="\#(format(x))" y1="\#(format(y - 4))" x2="\#(format(x + 24))" y2="\#(format(y - 4))" stroke="\#(colours[line.key]!)" stroke-width="2"/>"#
            )
            out.append(
                #"<circle cx="\#(format(x + 12))" cy="\#(format(y - 4))" r="3.5" fill="\#(colours[line.key]!)"/>"#)
            out.append(#"<text x="\#(format(x + 32))" y="\#(format(y))">\#(escape(labels[index]))</text>"#)
        }
        out.append(
            #"<text x="\#(format(lefts[0]))" y="\#(format(legendTop + Double(legendRows) * 20))" fill="rgb(85,85,85)">Bars: min–max over seeds. Stored: the learngene once for every depth; from scratch, the Des-Net itself.</text>"#
        )
        out.append("</g>")
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    /// A series as the legend names it: its label, then its learngene unless the label names it already (or it
    /// has none: scratch).
    static func legendLabel(_ line: AccuracyReport.Series) -> String {
        StrategyName(recorded: line.strategy) == .scratch || line.label.contains(line.source)
            ? line.label : "\(line.label) (\(line.source))"
    }

    /// A panel's group (left open for its lines and points), frame, grid, ticks and axis labels. Tick labels
    /// too wide for their spacing (at about 6 px a character) are turned 45°.
    private static func panelFrame(
        name: String, x: Axis, y: Axis, xLabel: String, yLabel: String, xTicks: [(Double, String)]
    ) -> [String] {
        let bottom = y.start + y.length
        var out = [
            #"<g class="panel" data-panel="\#(name)" data-x-min="\#(x.min)" data-x-max="\#(x.max)" data-y-min="\#(y.min)" data-y-max="\#(y.max)" data-left="\#(x.start)" data-top="\#(y.start)" data-width="\#(x.length)" data-height="\#(y.length)">"#
        ]
        out.append(
            #"<rect x="\#(format(x.start))" y="\#(format(y.start))" width="\#(format(x.length))" height="\#(format(y.length))" fill="none" stroke="rgb(51,51,51)"/>"#
        )
        for value in ticks(y.min, y.max) {
            let py = y.pixel(value)
            out.append(
                #"<line x1="\#(format(x.start))" y1="\#(format(py))" x2="\#(format(x.start + x.length))" y2="\#(format(py))" stroke="rgb(221,221,221)"/>"#
            )
            out.append(
                #"<text class="tick" data-axis="y" data-value="\#(value)" x="\#(format(x.start - 6))" y="\#(format(py + 4))" text-anchor="end">\#(format(value))</text>"#
            )
        }
        let spacing = x.length / Double(max(xTicks.count, 1))
        let widest = 6 * Double(xTicks.map(\.1.count).max() ?? 0)
        let turned = widest > spacing - 4
        for (value, label) in xTicks {
            let px = x.pixel(value)
            out.append(
                #"<line x1="\#(format(px))" y1="\#(format(bottom))" x2="\#(format(px))" y2="\#(format(bottom + 5))" stroke="rgb(51,51,51)"/>"#
            )
            let placement =
                turned
                ? #"x="\#(format(px))" y="\#(format(bottom + 14))" text-anchor="end" transform="rotate(-45 \#(format(px)) \#(format(bottom + 14)))""#
                : #"x="\#(format(px))" y="\#(format(bottom + 18))" text-anchor="middle""#
            out.append(
                #"<text class="tick" data-axis="x" data-value="\#(value)" \#(placement) font-size="10">\#(escape(label))</text>"#
            )
        }
        out.append(
            #"<text x="\#(format(x.start + x.length / 2))" y="\#(format(bottom + (turned ? 55 : 40)))" text-anchor="middle">\#(escape(xLabel))</text>"#
        )
        let cy = y.start + y.length / 2
        out.append(
            #"<text x="\#(format(x.start - 50))" y="\#(format(cy))" text-anchor="middle" transform="rotate(-90 \#(format(x.start - 50)) \#(format(cy)))">\#(escape(yLabel))</text>"#
        )
        return out
    }

    /// A row's untuned and tuned points, each with a min–max bar when it summarizes several seeds.
    private static func points(
        _ row: AccuracyReport.Row, line: AccuracyReport.Series, panel: String, xValue: Double, x: Axis, y: Axis,
        colour: String
    ) -> [String] {
        var out: [String] = []
        for (kind, statistic) in [("untuned", row.untuned), ("tuned", row.tuned)] {
            guard let statistic else { continue }
            let px = x.pixel(xValue)
            let py = y.pixel(100 * statistic.mean)
            if statistic.count > 1 {
                out.append(
                    #"<line class="range" x1="\#(format(px))" y1="\#(format(y.pixel(100 * statistic.min)))" x2="\#(format(px))" y2="\#(format(y.pixel(100 * statistic.max)))" stroke="\#(colour)" stroke-width="1.5"/>"#
                )
            }
            let epochs = kind == "tuned" ? row.tunedEpochs ?? 0 : 0
            let what = kind == "tuned" ? "tuned \(epochs) ep" : "untuned"
            let spread =
                statistic.count > 1
                ? String(
                    format: " (%.2f–%.2f over %d seeds)", 100 * statistic.min, 100 * statistic.max, statistic.count)
                : ""
            out.append(
                #"<circle class="point" data-panel="\#(panel)" data-series="\#(escape(line.key))" data-kind="\#(kind)" data-depth="\#(row.depth)" data-epochs="\#(epochs)" data-x="\#(xValue)" data-y="\#(100 * statistic.mean)" cx="\#(format(px))" cy="\#(format(py))" r="3.5" fill="\#(kind == "tuned" ? colour : "white")" stroke="\#(colour)" stroke-width="1.5"><title>\#(escape(line.label)), \#(row.desNet), \#(what): \#(String(format: "%.2f", 100 * statistic.mean))%\#(spread)</title></circle>"#
            )
        }
        return out
    }

    private static func polyline(_ points: [(Double, Double)], x: Axis, y: Axis, colour: String, dashed: Bool) -> String
    {
        guard points.count > 1 else { return "" }
        let coordinates = points.sorted { $0.0 < $1.0 }.map { "\(format(x.pixel($0.0))),\(format(y.pixel($0.1)))" }
            .joined(separator: " ")
        return
            #"<polyline points="\#(coordinates)" fill="none" stroke="\#(colour)" stroke-width="1.5"\#(dashed ? #" stroke-dasharray="5,4""# : "")/>"#
    }

    /// One point per x (a series repeats its untuned figure on each tuned row).
    private static func uniqueByX(_ points: [(Double, Double)]) -> [(Double, Double)] {
        var seen = Set<Double>()
        return points.filter { seen.insert($0.0).inserted }
    }

    /// Round tick values: steps of 1, 2 or 5 times a power of ten, about five of them.
    static func ticks(_ low: Double, _ high: Double) -> [Double] {
        let step = niceStep((high - low) / 5)
        var values: [Double] = []
        var value = (low / step).rounded(.up) * step
        while value <= high + step * 1e-9 {
            values.append((value / step).rounded() * step)
            value += step
        }
        return values
    }

    private static func niceStep(_ raw: Double) -> Double {
        guard raw > 0 else { return 1 }
        let power = pow(10, (log10(raw)).rounded(.down))
        let fraction = raw / power
        return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power
    }

    /// A coordinate or tick with at most two decimals and no trailing zeros.
    static func format(_ value: Double) -> String {
        var text = String(format: "%.2f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }

    /// XML text and attribute escaping.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
