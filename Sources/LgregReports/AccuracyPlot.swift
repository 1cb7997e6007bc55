import Foundation
import LgregVocabulary

/// The plots of an `AccuracyReport` in one self-contained SVG (no script, no external font or style, so a browser
/// and `rsvg-convert` draw it alike), laid out as a paper prints a figure: (a) untuned top-1 against depth (dashed
/// lines, open markers), (b) tuned top-1 against depth (solid lines, filled markers), each with its own y range
/// fitted to its figures, and (c) top-1 against the parameters each approach stores for all the depths it covers.
/// Every series has its own colour and marker, which the legend shows with its line styles. Where the figures of
/// (a) or (b) fall in two groups far apart (a baseline near chance), the lower group gets a panel of its own under
/// the first (a broken axis), so the lines that matter are not squeezed together. Depth ticks stand only at the
/// depths measured.
///
/// Every plotted marker is a `<path class="point">` with `data-panel`, `data-series`, `data-kind`
/// (`untuned`/`tuned`), `data-epochs`, `data-x` and `data-y` (in axis units), `data-cx` and `data-cy` (its centre
/// in pixels), `data-depth` (depth panels) or `data-depths` (the storage panel), and a `<title>`; every panel is a
/// `<g class="panel">` with its axis transform (`data-x-min`, `data-x-max`, `data-y-min`, `data-y-max`,
/// `data-left`, `data-top`, `data-width`, `data-height`), so a reader can map pixels back to numbers. Each legend
/// entry is a `<g class="legend-entry">` with `data-series`, `data-colour` and `data-marker`.
public enum AccuracyPlot {
    /// One axis: a value range drawn over a pixel range.
    struct Axis {
        var min: Double, max: Double
        /// First pixel and length (y axes grow downwards: `pixel` flips them).
        var start: Double, length: Double
        var flipped: Bool
        /// Logarithmic (base 10) rather than linear.
        var logarithmic = false

        func pixel(_ value: Double) -> Double {
            let fraction =
                logarithmic ? (log10(value) - log10(min)) / (log10(max) - log10(min)) : (value - min) / (max - min)
            return flipped ? start + (1 - fraction) * length : start + fraction * length
        }
    }

    /// Twenty colours far apart (matplotlib's tab10, then ten darker or brighter ones of other hues); a series
    /// takes the next one, so up to twenty series never share a colour.
    static let palette = [
        "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
        "#000000", "#000080", "#800000", "#006d2c", "#d100d1", "#b8860b", "#008080", "#4b0082", "#ff4500", "#556b2f",
    ]
    /// Marker shapes, taken in turn with the colours: a series' (colour, marker) pair is its own up to 20 series.
    static let markers = [
        "circle", "square", "triangle-up", "diamond", "triangle-down", "pentagon", "star", "cross", "plus", "hexagon",
    ]
    /// The stroke pattern of untuned lines.
    static let dashPattern = "6,4"
    static let panelWidth = 440.0, panelHeight = 250.0, lowHeight = 90.0, lowGap = 28.0, top = 70.0
    static let lefts = [80.0, 620.0]

    /// The drawing style of one series.
    struct Style {
        var colour: String
        var marker: String
    }

    /// One plotted figure: a series' mean at one x, with its min–max spread.
    struct Figure {
        var row: AccuracyReport.Row
        var kind: String
        var statistic: AccuracyReport.Statistic
        var epochs: Int
    }

    /// The SVG document. Public entry point (the static site embeds its output): the signature stays.
    public static func svg(_ report: AccuracyReport) -> String {
        let styles = Dictionary(
            uniqueKeysWithValues: report.series.enumerated().map {
                ($1.key, Style(colour: palette[$0 % palette.count], marker: markers[$0 % markers.count]))
            })
        let trained = Set(
            report.series.filter { $0.strategy == MeasuredNetwork.trainedNetworkName }.map(\.key))
        let untuned = report.rows.compactMap { row in
            row.untuned.map { Figure(row: row, kind: "untuned", statistic: $0, epochs: 0) }
        }
        let tuned = report.rows.compactMap { row in
            row.tuned.map { Figure(row: row, kind: "tuned", statistic: $0, epochs: row.tunedEpochs ?? 0) }
        }
        // A series repeats its untuned figure on each tuned row: one per depth.
        var seenUntuned = Set<String>()
        let untunedOnce = untuned.filter { seenUntuned.insert("\($0.row.series)|\($0.row.depth)").inserted }

        let depths = Set(report.rows.map(\.depth)).sorted()
        let groups = [split(untunedOnce), split(tuned)]
        let anyLow = groups.contains { $0.low != nil }
        let rowOneBottom = top + panelHeight + (anyLow ? lowGap + lowHeight : 0)
        let storageTop = rowOneBottom + 95
        let width = lefts[1] + panelWidth + 30
        let legendRows = report.series.count + 2
        let height = max(storageTop + panelHeight + 70, storageTop - 20 + Double(legendRows) * 20 + 20)

        var out = [
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(format(width))" height="\#(format(height))" viewBox="0 0 \#(format(width)) \#(format(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">"#,
            #"<rect width="100%" height="100%" fill="white"/>"#,
            #"<text x="\#(format(width / 2))" y="24" text-anchor="middle" font-size="15">Top-1 on \#(escape(report.evalSet))</text>"#,
        ]
        let titles = [
            "(a) Untuned: top-1 against depth (dashed, open markers)",
            "(b) Tuned: top-1 against depth (solid, filled markers)",
        ]
        for (column, group) in groups.enumerated() {
            let depthAxis = Axis(
                min: Double(depths.first ?? 1) - 0.5, max: Double(depths.last ?? 1) + 0.5, start: lefts[column],
                length: panelWidth, flipped: false)
            let name = column == 0 ? "untuned" : "tuned"
            out.append(
                #"<text x="\#(format(lefts[column]))" y="\#(format(top - 12))" font-size="13">\#(escape(titles[column]))</text>"#
            )
            var parts = [(name, group.high, top, panelHeight)]
            if let low = group.low { parts.append((name + "-low", low, top + panelHeight + lowGap, lowHeight)) }
            for (index, part) in parts.enumerated() {
                let (panel, figures, panelTop, height) = part
                let yAxis = fitted(figures.map(\.statistic), start: panelTop, length: height)
                let last = index == parts.count - 1
                out += panelFrame(
                    name: panel, x: depthAxis, y: yAxis, xLabel: last ? "Depth (layers)" : nil,
                    yLabel: index == 0 ? "Top-1 accuracy (%)" : nil,
                    xTicks: depths.map { (Double($0), String($0)) }, tickLabels: last)
                if figures.isEmpty {
                    let note = column == 0 ? "no untuned figures in this report" : "no tuned Des-Nets in this report"
                    out.append(
                        #"<text class="empty-panel" x="\#(format(depthAxis.start + depthAxis.length / 2))" y="\#(format(panelTop + height / 2))" text-anchor="middle" fill="rgb(85,85,85)">\#(note)</text>"#
                    )
                }
                if index > 0 {
                    out.append(
                        #"<text x="\#(format(depthAxis.start + depthAxis.length))" y="\#(format(panelTop - 5))" text-anchor="end" font-size="10" fill="rgb(85,85,85)">axis broken: the series far below the others</text>"#
                    )
                }
                out += lines(figures, trained: trained, x: depthAxis, y: yAxis, styles: styles)
                // Trained networks of one depth stand side by side, 10 px apart, rather than on one another.
                let sideBySide = Dictionary(
                    grouping: figures.filter { trained.contains($0.row.series) }, by: \.row.depth)
                for figure in figures {
                    let neighbours = sideBySide[figure.row.depth]?.map(\.row.series) ?? []
                    let dx = neighbours.firstIndex(of: figure.row.series).map {
                        10 * (Double($0) - Double(neighbours.count - 1) / 2)
                    }
                    out.append(
                        marker(
                            figure, report: report, panel: panel, xValue: Double(figure.row.depth),
                            depths: [figure.row.depth], x: depthAxis, y: yAxis, style: styles[figure.row.series]!,
                            dx: dx ?? 0))
                }
                out.append("</g>")
            }
        }

        // (c) Top-1 against the parameters stored for all the depths a series covers, on a log axis: a learngene
        // stores a fraction of what keeping every Des-Net does.
        let summaries = storageSummaries(report, untuned: untunedOnce, tuned: tuned, trained: trained)
        let storedMillions = summaries.map { $0.stored / 1e6 }.filter { $0 > 0 }
        let parameterAxis = Axis(
            min: roundLog((storedMillions.min() ?? 0.1) / 1.1, up: false),
            max: roundLog((storedMillions.max() ?? 1) * 1.1, up: true), start: lefts[0], length: panelWidth,
            flipped: false, logarithmic: true)
        let storageY = fitted(summaries.map(\.statistic), start: storageTop, length: panelHeight)
        out.append(
            #"<text x="\#(format(lefts[0]))" y="\#(format(storageTop - 12))" font-size="13">(c) Mean top-1 over depths against parameters stored for them all</text>"#
        )
        out += panelFrame(
            name: "parameters", x: parameterAxis, y: storageY, xLabel: "Parameters stored (millions)",
            yLabel: "Top-1 accuracy (%)",
            xTicks: logTicks(parameterAxis.min, parameterAxis.max).map { ($0, format($0)) },
            tickLabels: true)
        for summary in summaries {
            out.append(
                marker(
                    summary.figure, report: report, panel: "parameters", xValue: summary.stored / 1e6,
                    depths: summary.depths, x: parameterAxis, y: storageY, style: styles[summary.figure.row.series]!,
                    statistic: summary.statistic))
        }
        out.append("</g>")

        // Legend, right of (c): each series' colour, marker and line styles.
        let legendLeft = lefts[1]
        let legendTop = storageTop - 4
        out.append(#"<g class="legend">"#)
        out.append(
            #"<text x="\#(format(legendLeft))" y="\#(format(legendTop))" fill="rgb(85,85,85)">dashed, open: untuned · solid, filled: tuned · bar: min–max</text>"#
        )
        for (index, line) in report.series.enumerated() {
            let style = styles[line.key]!
            let y = legendTop + Double(index + 1) * 20
            let mine = report.rows.filter { $0.series == line.key }
            let kinds =
                (mine.contains { $0.untuned != nil } ? ["untuned"] : [])
                + (mine.contains { $0.tuned != nil } ? ["tuned"] : [])
            out.append(
                #"<g class="legend-entry" data-series="\#(escape(line.key))" data-colour="\#(style.colour)" data-marker="\#(style.marker)">"#
            )
            for (slot, kind) in kinds.enumerated() {
                let x = legendLeft + Double(slot) * 34
                if !trained.contains(line.key) {
                    out.append(
                        #"<line class="legend-line" data-kind="\#(kind)" x1="\#(format(x))" y1="\#(format(y - 4))" x2="\#(format(x + 28))" y2="\#(format(y - 4))" stroke="\#(style.colour)" stroke-width="1.8"\#(kind == "untuned" ? #" stroke-dasharray="\#(dashPattern)""# : "")/>"#
                    )
                }
                out.append(
                    #"<path d="\#(shape(style.marker, x + 14, y - 4))" fill="\#(kind == "tuned" ? style.colour : "white")" stroke="\#(style.colour)" stroke-width="1.5"/>"#
                )
            }
            out.append(#"<text x="\#(format(legendLeft + 72))" y="\#(format(y))">\#(escape(legendLabel(line)))</text>"#)
            out.append("</g>")
        }
        out.append(
            #"<text x="\#(format(legendLeft))" y="\#(format(legendTop + Double(report.series.count + 1) * 20 + 6))" font-size="10" fill="rgb(85,85,85)">Stored: a learngene once for every depth; from scratch, every Des-Net.</text>"#
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

    /// The figures of one panel split in two where the series fall in two groups far apart: the lower group's
    /// highest figure is at least 5 points and a quarter of the whole range below the upper group's lowest.
    /// A series stays whole, in the group of its highest figure.
    static func split(_ figures: [Figure]) -> (high: [Figure], low: [Figure]?) {
        let bySeries = Dictionary(grouping: figures, by: \.row.series)
        let spans = bySeries.map { key, figures in
            (key: key, low: figures.map(\.statistic.min).min()!, high: figures.map(\.statistic.max).max()!)
        }.sorted { ($0.high, $0.key) < ($1.high, $1.key) }
        guard spans.count > 1, let bottom = spans.map(\.low).min(), let ceiling = spans.map(\.high).max() else {
            return (figures, nil)
        }
        var best: (gap: Double, index: Int)?
        for index in 1..<spans.count {
            let gap = spans[index...].map(\.low).min()! - spans[..<index].map(\.high).max()!
            if gap > (best?.gap ?? 0) { best = (gap, index) }
        }
        guard let best, best.gap >= 0.05, best.gap >= 0.25 * (ceiling - bottom) else { return (figures, nil) }
        let lower = Set(spans[..<best.index].map(\.key))
        return (figures.filter { !lower.contains($0.row.series) }, figures.filter { lower.contains($0.row.series) })
    }

    /// A y axis (percent) fitted to `statistics`' min–max: a margin of 4 % of the range, ends on round steps,
    /// within 0–100.
    static func fitted(_ statistics: [AccuracyReport.Statistic], start: Double, length: Double) -> Axis {
        let low = 100 * (statistics.map(\.min).min() ?? 0)
        let high = 100 * (statistics.map(\.max).max() ?? 1)
        let range = max(high - low, 1)
        let step = niceStep(range / (length < 150 ? 3 : 6))
        var axisLow = max(0, ((low - 0.04 * range) / step).rounded(.down) * step)
        var axisHigh = min(100, ((high + 0.04 * range) / step).rounded(.up) * step)
        if axisHigh <= axisLow {
            axisLow = max(0, axisLow - step)
            axisHigh = min(100, axisLow + 2 * step)
        }
        return Axis(min: axisLow, max: axisHigh, start: start, length: length, flipped: true)
    }

    /// One storage point: a series' figures of one kind (and tuning) averaged over its depths, against the
    /// parameters stored to make all of them (a learngene once; from scratch, every Des-Net).
    struct StorageSummary {
        var figure: Figure
        var statistic: AccuracyReport.Statistic
        var stored: Double
        var depths: [Int]
    }

    static func storageSummaries(
        _ report: AccuracyReport, untuned: [Figure], tuned: [Figure], trained: Set<String>
    ) -> [StorageSummary] {
        let groups = Dictionary(grouping: (untuned + tuned).filter { !trained.contains($0.row.series) }) {
            "\($0.row.series)|\($0.kind)|\($0.epochs)"
        }
        return groups.keys.sorted().map { key in
            let figures = groups[key]!.sorted { $0.row.depth < $1.row.depth }
            let scratch = report.series(of: figures[0].row).map { StrategyName(recorded: $0.strategy) == .scratch }
            let stored =
                scratch == true
                ? figures.map { Double($0.row.desNetParameters) }.reduce(0, +)
                : Double(figures[0].row.storedParameters)
            return StorageSummary(
                figure: figures[0], statistic: .init(figures.map(\.statistic.mean)), stored: stored,
                depths: figures.map(\.row.depth))
        }
    }

    /// A panel's group (left open for its lines and points), frame, grid, ticks and axis labels. Tick labels
    /// too wide for their spacing (at about 6 px a character) are turned 45°.
    private static func panelFrame(
        name: String, x: Axis, y: Axis, xLabel: String?, yLabel: String?, xTicks: [(Double, String)],
        tickLabels: Bool
    ) -> [String] {
        let bottom = y.start + y.length
        var out = [
            #"<g class="panel" data-panel="\#(name)" data-x-min="\#(x.min)" data-x-max="\#(x.max)" data-y-min="\#(y.min)" data-y-max="\#(y.max)" data-left="\#(x.start)" data-top="\#(y.start)" data-width="\#(x.length)" data-height="\#(y.length)" data-x-scale="\#(x.logarithmic ? "log" : "linear")">"#
        ]
        out.append(
            #"<rect x="\#(format(x.start))" y="\#(format(y.start))" width="\#(format(x.length))" height="\#(format(y.length))" fill="none" stroke="rgb(51,51,51)"/>"#
        )
        for value in ticks(y.min, y.max, count: y.length < 150 ? 2 : 5) {
            let py = y.pixel(value)
            out.append(
                #"<line x1="\#(format(x.start))" y1="\#(format(py))" x2="\#(format(x.start + x.length))" y2="\#(format(py))" stroke="rgb(225,225,225)"/>"#
            )
            out.append(
                #"<text class="tick" data-axis="y" data-panel="\#(name)" data-value="\#(value)" x="\#(format(x.start - 6))" y="\#(format(py + 4))" text-anchor="end">\#(format(value))</text>"#
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
            guard tickLabels else { continue }
            let placement =
                turned
                ? #"x="\#(format(px))" y="\#(format(bottom + 14))" text-anchor="end" transform="rotate(-45 \#(format(px)) \#(format(bottom + 14)))""#
                : #"x="\#(format(px))" y="\#(format(bottom + 18))" text-anchor="middle""#
            out.append(
                #"<text class="tick" data-axis="x" data-panel="\#(name)" data-value="\#(value)" \#(placement) font-size="10">\#(escape(label))</text>"#
            )
        }
        if let xLabel {
            out.append(
                #"<text x="\#(format(x.start + x.length / 2))" y="\#(format(bottom + (turned ? 50 : 36)))" text-anchor="middle">\#(escape(xLabel))</text>"#
            )
        }
        if let yLabel {
            let cy = y.start + y.length / 2
            out.append(
                #"<text x="\#(format(x.start - 50))" y="\#(format(cy))" text-anchor="middle" transform="rotate(-90 \#(format(x.start - 50)) \#(format(cy)))">\#(escape(yLabel))</text>"#
            )
        }
        return out
    }

    /// A line per series (and tuning) through its figures, dashed when untuned; none for a trained network's
    /// single figure.
    private static func lines(
        _ figures: [Figure], trained: Set<String>, x: Axis, y: Axis, styles: [String: Style]
    ) -> [String] {
        let groups = Dictionary(grouping: figures.filter { !trained.contains($0.row.series) }) {
            "\($0.row.series)|\($0.kind)|\($0.epochs)"
        }
        return groups.keys.sorted().compactMap { key in
            let points = groups[key]!.sorted { $0.row.depth < $1.row.depth }
            guard points.count > 1, let style = styles[points[0].row.series] else { return nil }
            let coordinates = points.map {
                "\(format(x.pixel(Double($0.row.depth)))),\(format(y.pixel(100 * $0.statistic.mean)))"
            }.joined(separator: " ")
            return
                #"<polyline class="series-line" data-series="\#(escape(points[0].row.series))" data-kind="\#(points[0].kind)" points="\#(coordinates)" fill="none" stroke="\#(style.colour)" stroke-width="1.6"\#(points[0].kind == "untuned" ? #" stroke-dasharray="\#(dashPattern)""# : "")/>"#
        }
    }

    /// A figure's marker (open untuned, filled tuned), with a min–max bar when it summarizes several figures.
    private static func marker(
        _ figure: Figure, report: AccuracyReport, panel: String, xValue: Double, depths: [Int], x: Axis, y: Axis,
        style: Style, statistic: AccuracyReport.Statistic? = nil, dx: Double = 0
    ) -> String {
        let statistic = statistic ?? figure.statistic
        let px = x.pixel(xValue) + dx
        let py = y.pixel(100 * statistic.mean)
        var out = ""
        if statistic.count > 1 {
            out =
                #"<line class="range" data-panel="\#(panel)" x1="\#(format(px))" y1="\#(format(y.pixel(100 * statistic.min)))" x2="\#(format(px))" y2="\#(format(y.pixel(100 * statistic.max)))" stroke="\#(style.colour)" stroke-width="1.5"/>"#
                + "\n"
        }
        let label = report.series(of: figure.row)?.label ?? figure.row.series
        let what = figure.kind == "tuned" ? "tuned \(figure.epochs) ep" : "untuned"
        let at =
            depths.count == 1
            ? AccuracyReport.desNetName(depths[0])
            : "mean over depths \(depths.map(String.init).joined(separator: ", "))"
        let over = panel == "parameters" ? "depths" : "seeds"
        let spread =
            statistic.count > 1
            ? String(format: " (%.2f–%.2f over %d \(over))", 100 * statistic.min, 100 * statistic.max, statistic.count)
            : ""
        let depthAttribute =
            panel == "parameters"
            ? #"data-depths="\#(depths.map(String.init).joined(separator: ","))""# : #"data-depth="\#(depths[0])""#
        out +=
            #"<path class="point" data-panel="\#(panel)" data-series="\#(escape(figure.row.series))" data-kind="\#(figure.kind)" \#(depthAttribute) data-epochs="\#(figure.epochs)" data-x="\#(xValue)" data-y="\#(100 * statistic.mean)" data-cx="\#(format(px))" data-cy="\#(format(py))" data-dx="\#(format(dx))" data-marker="\#(style.marker)" d="\#(shape(style.marker, px, py))" fill="\#(figure.kind == "tuned" ? style.colour : "white")" stroke="\#(style.colour)" stroke-width="1.5"><title>\#(escape(label)), \#(at), \#(what): \#(String(format: "%.2f", 100 * statistic.mean))%\#(spread)</title></path>"#
        return out
    }

    /// The outline of a marker centred on (x, y), about 9 px across.
    static func shape(_ marker: String, _ x: Double, _ y: Double) -> String {
        let r = 4.5
        func polygon(_ corners: Int, radius: Double, rotation: Double = -Double.pi / 2, inner: Double? = nil) -> String
        {
            let points = (0..<(inner == nil ? corners : 2 * corners)).map { index -> String in
                let step = inner == nil ? 2 * Double.pi / Double(corners) : Double.pi / Double(corners)
                let angle = rotation + Double(index) * step
                let distance = inner != nil && index % 2 == 1 ? inner! : radius
                return "\(format(x + distance * cos(angle))),\(format(y + distance * sin(angle)))"
            }
            return "M" + points.joined(separator: " L") + " Z"
        }
        switch marker {
        case "square": return polygon(4, radius: r * 1.2, rotation: Double.pi / 4)
        case "triangle-up": return polygon(3, radius: r * 1.25)
        case "triangle-down": return polygon(3, radius: r * 1.25, rotation: Double.pi / 2)
        case "diamond": return polygon(4, radius: r * 1.3)
        case "pentagon": return polygon(5, radius: r * 1.1)
        case "hexagon": return polygon(6, radius: r * 1.1)
        case "star": return polygon(5, radius: r * 1.45, inner: r * 0.6)
        case "cross":
            let a = r * 0.45
            let b = r * 1.2
            let arms: [(Double, Double)] = [
                (-b + a, -b), (0, -a), (b - a, -b), (b, -b + a), (a, 0), (b, b - a), (b - a, b), (0, a), (-b + a, b),
                (-b, b - a), (-a, 0), (-b, -b + a),
            ]
            return "M" + arms.map { "\(format(x + $0.0)),\(format(y + $0.1))" }.joined(separator: " L") + " Z"
        case "plus":
            let a = r * 0.4
            let b = r * 1.25
            let arms: [(Double, Double)] = [
                (-a, -b), (a, -b), (a, -a), (b, -a), (b, a), (a, a), (a, b), (-a, b), (-a, a), (-b, a), (-b, -a),
                (-a, -a),
            ]
            return "M" + arms.map { "\(format(x + $0.0)),\(format(y + $0.1))" }.joined(separator: " L") + " Z"
        default:  // circle
            return
                "M\(format(x - r)),\(format(y)) A\(format(r)),\(format(r)) 0 1,0 \(format(x + r)),\(format(y)) A\(format(r)),\(format(r)) 0 1,0 \(format(x - r)),\(format(y)) Z"
        }
    }

    /// The nearest 1, 2 or 5 times a power of ten above (`up`) or below `value`.
    static func roundLog(_ value: Double, up: Bool) -> Double {
        let power = pow(10, log10(value).rounded(.down))
        let candidates = [1.0, 2, 5, 10].map { $0 * power }
        return up ? candidates.first { $0 >= value * 0.9999 }! : candidates.last { $0 <= value * 1.0001 }!
    }

    /// Ticks of a log axis: 1, 2 and 5 times each power of ten between `low` and `high`.
    static func logTicks(_ low: Double, _ high: Double) -> [Double] {
        var values: [Double] = []
        var power = pow(10, log10(low).rounded(.down))
        while power <= high * 1.0001 {
            for factor in [1.0, 2, 5] where power * factor >= low * 0.9999 && power * factor <= high * 1.0001 {
                values.append(power * factor)
            }
            power *= 10
        }
        return values
    }

    /// Round tick values: steps of 1, 2 or 5 times a power of ten, about `count` of them.
    static func ticks(_ low: Double, _ high: Double, count: Int = 5) -> [Double] {
        let step = niceStep((high - low) / Double(count))
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
