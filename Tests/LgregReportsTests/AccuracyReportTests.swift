import Foundation
import LgregArchitecture
import LgregTestSupport
import Testing

@testable import LgregReports

/// The accuracy report from hand-built observations with known figures: its grouping and statistics, every
/// output format, and the SVG, rendered by a real renderer (`rsvg-convert`) and read back point by point.
@Suite(.serialized) struct AccuracyReportTests {
    let architecture: ViTArchitecture
    let report: AccuracyReport
    /// What the report is made from.
    let observations: [AccuracyReport.Observation]
    /// A learngene of 2 stages: what it stores.
    let learngeneParameters: Int

    init() throws {
        architecture = try .preset("fmnist-tiny")
        learngeneParameters = 2 * architecture.blockParameters + architecture.sharedParameters
        let sources = [
            AccuracyReport.Source(
                reference: "aux:1", kind: "sws", architecture: architecture, schedule: try StageSchedule([2, 1]),
                storedParameters: learngeneParameters),
            AccuracyReport.Source(
                reference: "scratch-fmnist-tiny", kind: "scratch", architecture: architecture, schedule: nil,
                storedParameters: nil),
        ]
        observations = [
            .init(
                source: "aux:1", strategy: "cyclic", order: "front-mid-last", seed: nil, depth: 4, tunedEpochs: 0,
                top1: 0.70),
            .init(
                source: "aux:1", strategy: "cyclic", order: "front-mid-last", seed: nil, depth: 6, tunedEpochs: 0,
                top1: 0.72),
            .init(
                source: "aux:1", strategy: "cyclic", order: "front-mid-last", seed: 0, depth: 4, tunedEpochs: 1,
                top1: 0.80, tag: "aux-d4:1-cyclic-front-mid-last-ft1"),
            .init(
                source: "aux:1", strategy: "cyclic", order: "front-mid-last", seed: 0, depth: 6, tunedEpochs: 1,
                top1: 0.82),
            .init(source: "aux:1", strategy: "random", order: nil, seed: 0, depth: 4, tunedEpochs: 0, top1: 0.60),
            .init(source: "aux:1", strategy: "random", order: nil, seed: 1, depth: 4, tunedEpochs: 0, top1: 0.64),
            .init(source: "aux:1", strategy: "random", order: nil, seed: 2, depth: 4, tunedEpochs: 0, top1: 0.68),
            .init(
                source: "scratch-fmnist-tiny", strategy: "scratch", order: nil, seed: 0, depth: 4, tunedEpochs: 1,
                top1: 0.50),
            .init(
                source: "scratch-fmnist-tiny", strategy: "scratch", order: nil, seed: 0, depth: 4, tunedEpochs: 3,
                top1: 0.55),
        ]
        report = AccuracyReport(sources: sources, observations: observations, evalSet: "fashion-mnist:test")
    }

    /// The rows the observations above must give: series label, depth, untuned (mean, min, max, count), tuned mean,
    /// tuned epochs, stored parameters.
    var expectedRows:
        [(
            label: String, depth: Int, untuned: (Double, Double, Double, Int)?, tuned: Double?, epochs: Int?,
            stored: Int
        )]
    {
        [
            ("SWS front-mid-last", 4, (0.70, 0.70, 0.70, 1), 0.80, 1, learngeneParameters),
            ("SWS front-mid-last", 6, (0.72, 0.72, 0.72, 1), 0.82, 1, learngeneParameters),
            ("SWS random", 4, (0.64, 0.60, 0.68, 3), nil, nil, learngeneParameters),
            ("Scratch 1 ep", 4, nil, 0.50, 1, architecture.parameterCount(depth: 4)),
            ("Scratch 3 ep", 4, nil, 0.55, 3, architecture.parameterCount(depth: 4)),
        ]
    }

    @Test func pfIsSetAgainstTheDesNetsNotTheTrainedNetworksOwnRow() {
        // The learngene's own declared accuracy (its Aux-Net, 16 layers) is a row, not a Des-Net PF would keep.
        let own = AccuracyReport.Observation(
            source: "aux:1", strategy: "aux-net", order: nil, seed: nil, depth: 16, tunedEpochs: 0, top1: 0.75)
        let withOwn = AccuracyReport(
            sources: report.sources, observations: [own] + observations, evalSet: "fashion-mnist:test")
        #expect(withOwn.rows.contains { $0.depth == 16 })
        #expect(withOwn.storage.depths == [4, 6])
    }

    @Test func groupsSeriesAndSummarizesSeeds() throws {
        #expect(report.series.map(\.label) == ["SWS front-mid-last", "SWS random", "Scratch 1 ep", "Scratch 3 ep"])
        #expect(report.rows.count == expectedRows.count)
        for (row, expected) in zip(report.rows, expectedRows) {
            #expect(report.series(of: row)?.label == expected.label)
            #expect(row.depth == expected.depth && row.desNet == "Des-\(expected.depth)")
            #expect(row.storedParameters == expected.stored)
            #expect(row.desNetParameters == architecture.parameterCount(depth: expected.depth))
            #expect(row.tunedEpochs == expected.epochs)
            if let (mean, low, high, count) = expected.untuned {
                let untuned = try #require(row.untuned)
                expectClose(
                    [untuned.mean, untuned.min, untuned.max], [mean, low, high], absolute: 1e-12,
                    "untuned \(expected.label) depth \(expected.depth)")
                #expect(untuned.count == count)
            } else {
                #expect(row.untuned == nil)
            }
            if let tuned = expected.tuned {
                expectClose(row.tuned?.mean ?? -1, tuned, absolute: 1e-12, "tuned \(expected.label)")
            } else {
                #expect(row.tuned == nil)
            }
        }
        // Sample standard deviation of 0.60, 0.64, 0.68: sqrt((0.04² + 0 + 0.04²) / 2) = 0.04.
        expectClose(report.rows[2].untuned?.std ?? -1, 0.04, absolute: 1e-12, "std over seeds")
        // PF keeps Des-4 and Des-6 whole; the learngene stores two layers and the shared tensors.
        let pf = architecture.parameterCount(depth: 4) + architecture.parameterCount(depth: 6)
        #expect(report.storage.depths == [4, 6])
        #expect(report.storage.learngenes.map(\.pfParameters) == [pf])
        expectClose(
            report.storage.learngenes.first?.ratio ?? 0, Double(pf) / Double(learngeneParameters), absolute: 1e-12,
            "storage ratio")
    }

    @Test func jsonIsValidAndCarriesTheFigures() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(report), as: UTF8.self)
        let validation = try validateJSON(json, against: "accuracy-report.schema.json")
        #expect(validation.status == 0, "\(validation.message)")
        let decoded = try JSONDecoder().decode(AccuracyReport.self, from: Data(json.utf8))
        #expect(decoded == report)
    }

    @Test func csvMarkdownAndTextShowTheFigures() throws {
        let csv = report.table.rendered(.csv).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        let header = csv[0]
        #expect(
            header == [
                "desNet", "depth", "strategy", "source", "untunedTop1", "untunedMin", "untunedMax", "tunedTop1",
                "tunedMin", "tunedMax",
                "tunedEpochs", "seeds", "storedParameters", "desNetParameters",
            ])
        #expect(csv.count == 1 + expectedRows.count)
        func column(_ line: [String], _ key: String) -> String { line[header.firstIndex(of: key)!] }
        for (line, expected) in zip(csv.dropFirst(), expectedRows) {
            #expect(column(line, "strategy") == expected.label && column(line, "depth") == String(expected.depth))
            #expect(column(line, "storedParameters") == String(expected.stored))
            if let (mean, low, high, count) = expected.untuned {
                expectClose(
                    Double(column(line, "untunedTop1")) ?? -1, 100 * mean, absolute: 1e-9,
                    "csv untuned \(expected.label)")
                // The range is printed only over several seeds.
                #expect(column(line, "untunedMin").isEmpty == (count == 1))
                if count > 1 {
                    expectClose(
                        [Double(column(line, "untunedMin")) ?? -1, Double(column(line, "untunedMax")) ?? -1],
                        [100 * low, 100 * high], absolute: 1e-9, "csv range")
                }
            } else {
                #expect(column(line, "untunedTop1").isEmpty)
            }
            if let tuned = expected.tuned {
                expectClose(Double(column(line, "tunedTop1")) ?? -1, 100 * tuned, absolute: 1e-9, "csv tuned")
            }
        }
        let markdown = report.table.rendered(.markdown)
        #expect(
            markdown.contains(
                "| Des-4 | 4 | SWS random | aux:1 | 64.00 | 60.00 | 68.00 |  |  |  |  | 3 | 0.10 | 0.20 |"),
            "\(markdown)")
        #expect(
            markdown.contains(
                "| Des-4 | 4 | Scratch 3 ep | scratch-fmnist-tiny |  |  |  | 55.00 |  |  | 3 | 1 | 0.20 | 0.20 |"),
            "\(markdown)")
        let text = report.table.rendered(.text)
        #expect(
            text.contains("aux:1 stores 0.10 M once; PF keeps one model per depth (Des-4, Des-6): 0.51 M, 4.9× more."),
            "\(text)")
    }

    /// A parsed SVG element: its attributes and text.
    struct Element {
        var attributes: [String: String]
        func number(_ name: String) -> Double { Double(attributes[name] ?? "") ?? .nan }
    }

    func elements(_ svg: String, opening: String) throws -> [Element] {
        let pattern = try NSRegularExpression(pattern: "<\(opening)\\s([^>]*)>")
        let attribute = try NSRegularExpression(pattern: #"([a-z0-9-]+)="([^"]*)""#)
        return pattern.matches(in: svg, range: NSRange(svg.startIndex..., in: svg)).map { match in
            let inner = String(svg[Range(match.range(at: 1), in: svg)!])
            var attributes: [String: String] = [:]
            for pair in attribute.matches(in: inner, range: NSRange(inner.startIndex..., in: inner)) {
                attributes[String(inner[Range(pair.range(at: 1), in: inner)!])] = String(
                    inner[Range(pair.range(at: 2), in: inner)!])
            }
            return Element(attributes: attributes)
        }
    }

    @Test func svgRendersAndItsPointsAreTheReportsNumbers() throws {
        let svg = AccuracyPlot.svg(report)
        let folder = try TemporaryDirectory("lgreg-accuracy-svg")
        try svg.write(to: folder.appending("accuracy.svg"), atomically: true, encoding: .utf8)
        let render = try runProcess("rsvg-convert", ["-o", folder.path("accuracy.png"), folder.path("accuracy.svg")])
        #expect(render.status == 0, "\(render.summary)")
        let png = try Data(contentsOf: folder.appending("accuracy.png"))
        #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "rsvg-convert wrote no PNG")
        let root = try #require(try elements(svg, opening: "svg").first)
        // The PNG's IHDR width is the SVG's.
        #expect(png.count > 24 && png[16..<20].reduce(0) { $0 << 8 | Int($1) } == Int(root.number("width")))

        let panels = Dictionary(
            uniqueKeysWithValues: try elements(svg, opening: "g class=\"panel\"").map {
                ($0.attributes["data-panel"]!, $0)
            })
        #expect(Set(panels.keys) == ["depth", "parameters"])
        func pixel(_ value: Double, _ panel: Element, axis: String) -> Double {
            if axis == "x" {
                return panel.number("data-left") + (value - panel.number("data-x-min"))
                    / (panel.number("data-x-max") - panel.number("data-x-min")) * panel.number("data-width")
            }
            return panel.number("data-top")
                + (1 - (value - panel.number("data-y-min")) / (panel.number("data-y-max") - panel.number("data-y-min")))
                * panel.number("data-height")
        }
        let points = try elements(svg, opening: "circle class=\"point\"")
        // Per panel: untuned and tuned of each row that has them.
        let figures = expectedRows.reduce(0) { $0 + ($1.untuned == nil ? 0 : 1) + ($1.tuned == nil ? 0 : 1) }
        #expect(points.count == 2 * figures)
        var checked = 0
        for (expected, row) in zip(expectedRows, report.rows) {
            for (kind, value) in [("untuned", expected.untuned?.0), ("tuned", expected.tuned)] {
                guard let value else { continue }
                for (name, x) in [("depth", Double(expected.depth)), ("parameters", Double(expected.stored) / 1e6)] {
                    let matching = points.filter {
                        $0.attributes["data-panel"] == name && $0.attributes["data-series"] == row.series
                            && $0.attributes["data-kind"] == kind
                            && $0.attributes["data-depth"] == String(expected.depth)
                            && $0.attributes["data-epochs"] == String(kind == "tuned" ? expected.epochs ?? 0 : 0)
                    }
                    let point = try #require(
                        matching.first, "no \(kind) point for \(expected.label) depth \(expected.depth) in \(name)")
                    #expect(matching.count == 1)
                    let panel = panels[name]!
                    expectClose(
                        [point.number("cx"), point.number("cy")],
                        [pixel(x, panel, axis: "x"), pixel(100 * value, panel, axis: "y")],
                        absolute: 0.5, "\(kind) \(expected.label) depth \(expected.depth) on \(name) (px)")
                    checked += 1
                }
            }
        }
        #expect(checked == points.count)
        // The axes the reader sees use the same transform: each tick label sits at its value.
        for tick in try elements(svg, opening: "text class=\"tick\" data-axis=\"y\"") {
            let panel = panels.values.first { abs(tick.number("x") + 6 - $0.number("data-left")) < 0.01 }!
            expectClose(
                tick.number("y") - 4, pixel(tick.number("data-value"), panel, axis: "y"), absolute: 0.5,
                "y tick \(tick.number("data-value"))")
        }
        let depthPanel = panels["depth"]!
        let depthTicks = try elements(svg, opening: "text class=\"tick\" data-axis=\"x\"").filter {
            $0.number("x") >= depthPanel.number("data-left")
                && $0.number("x") <= depthPanel.number("data-left") + depthPanel.number("data-width")
        }
        #expect(depthTicks.map { $0.number("data-value") } == [4, 6])
        for tick in depthTicks {
            expectClose(
                tick.number("x"), pixel(tick.number("data-value"), depthPanel, axis: "x"), absolute: 0.5, "depth tick")
        }
        #expect(svg.contains(">Des-4</text>") && svg.contains(">Des-6</text>"))
        #expect(
            svg.contains("Top-1 accuracy (%)") && svg.contains("Parameters stored (millions)")
                && svg.contains("Des-Net depth (layers)"))
        // The random-assigned point carries its range over seeds as a bar from min to max.
        let ranges = try elements(svg, opening: "line class=\"range\"")
        #expect(ranges.count == 2)
        for range in ranges {
            let panel = panels.values.first {
                range.number("x1") >= $0.number("data-left")
                    && range.number("x1") <= $0.number("data-left") + $0.number("data-width")
            }!
            expectClose(
                [range.number("y1"), range.number("y2")], [pixel(60, panel, axis: "y"), pixel(68, panel, axis: "y")],
                absolute: 0.5, "min–max bar")
        }
    }

    /// A zoo-sized report: twelve depths turn the Des-Net tick labels 45° (they would overlap level), still each at
    /// its value, and a legend names a learngene once, whether or not its label holds it.
    @Test func crowdedDepthLabelsTurnAndTheLegendNamesEachLearngeneOnce() throws {
        let depths = Array(5...16)
        let many =
            depths.map {
                AccuracyReport.Observation(
                    source: "aux:1", strategy: "cyclic", order: "front-mid-last", seed: nil, depth: $0, tunedEpochs: 0,
                    top1: 0.7)
            }
            + [
                .init(
                    source: "aux:1", strategy: "aux-net", order: nil, seed: nil, depth: 16, tunedEpochs: 0, top1: 0.75)
            ]
        let svg = AccuracyPlot.svg(
            AccuracyReport(sources: report.sources, observations: many, evalSet: "fashion-mnist:test"))
        let panel = try #require(
            try elements(svg, opening: "g class=\"panel\"").first { $0.attributes["data-panel"] == "depth" })
        let ticks = try elements(svg, opening: "text class=\"tick\" data-axis=\"x\"").filter {
            $0.number("x") >= panel.number("data-left")
                && $0.number("x") <= panel.number("data-left") + panel.number("data-width")
        }
        #expect(ticks.map { Int($0.number("data-value")) } == depths)
        let turned = ticks.filter {
            $0.attributes["transform"]
                == "rotate(-45 \(AccuracyPlot.format($0.number("x"))) \(AccuracyPlot.format($0.number("y"))))"
        }
        #expect(turned.count == depths.count, "\(turned.count) of \(ticks.count) depth labels turned")
        let labels = AccuracyReport(sources: report.sources, observations: many, evalSet: "fashion-mnist:test").series
            .map(AccuracyPlot.legendLabel)
        #expect(labels.allSatisfy { $0.components(separatedBy: "aux:1").count == 2 }, "\(labels)")
        // Two depths, as in `report`, stay level.
        #expect(!AccuracyPlot.svg(report).contains("rotate(-45"))
    }
}
