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

    /// Pixel of `value` on a panel's axis, from the transform the panel states (log or linear x).
    func pixel(_ value: Double, _ panel: Element, axis: String) -> Double {
        if axis == "x" {
            let (low, high) = (panel.number("data-x-min"), panel.number("data-x-max"))
            let fraction =
                panel.attributes["data-x-scale"] == "log"
                ? (log10(value) - log10(low)) / (log10(high) - log10(low)) : (value - low) / (high - low)
            return panel.number("data-left") + fraction * panel.number("data-width")
        }
        return panel.number("data-top")
            + (1 - (value - panel.number("data-y-min")) / (panel.number("data-y-max") - panel.number("data-y-min")))
            * panel.number("data-height")
    }

    func panels(_ svg: String) throws -> [String: Element] {
        Dictionary(
            uniqueKeysWithValues: try elements(svg, opening: "g class=\"panel\"").map {
                ($0.attributes["data-panel"]!, $0)
            })
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

        let panels = try panels(svg)
        // Tuned: the scratch lines (50, 55 %) are 25 points under the tuned SWS ones (80–82 %), more than a quarter
        // of the range, so they get the lower panel; untuned, random's 68 % is 2 points under cyclic's 70 %.
        #expect(Set(panels.keys) == ["untuned", "tuned", "tuned-low", "parameters"], "\(panels.keys)")
        let points = try elements(svg, opening: "path class=\"point\"")
        var checked = 0
        for (expected, row) in zip(expectedRows, report.rows) {
            for (kind, value) in [("untuned", expected.untuned?.0), ("tuned", expected.tuned)] {
                guard let value else { continue }
                let matching = points.filter {
                    $0.attributes["data-panel"]!.hasPrefix(kind) && $0.attributes["data-series"] == row.series
                        && $0.attributes["data-kind"] == kind && $0.attributes["data-depth"] == String(expected.depth)
                        && $0.attributes["data-epochs"] == String(kind == "tuned" ? expected.epochs ?? 0 : 0)
                }
                let point = try #require(matching.first, "no \(kind) point for \(expected.label) \(expected.depth)")
                #expect(matching.count == 1)
                let panel = panels[point.attributes["data-panel"]!]!
                #expect(
                    (kind == "tuned" && expected.label.hasPrefix("Scratch"))
                        == (panel.attributes["data-panel"] == "tuned-low"))
                expectClose(
                    [point.number("data-cx"), point.number("data-cy")],
                    [pixel(Double(expected.depth), panel, axis: "x"), pixel(100 * value, panel, axis: "y")],
                    absolute: 0.5, "\(kind) \(expected.label) depth \(expected.depth) (px)")
                checked += 1
            }
        }
        // (c): one point per series and tuning, the mean over its depths against what it stores for all of them.
        let storage = points.filter { $0.attributes["data-panel"] == "parameters" }
        let expectedStorage: [(label: String, kind: String, mean: Double, stored: Double)] = [
            ("SWS front-mid-last", "untuned", 71, Double(learngeneParameters)),
            ("SWS front-mid-last", "tuned", 81, Double(learngeneParameters)),
            ("SWS random", "untuned", 64, Double(learngeneParameters)),
            ("Scratch 1 ep", "tuned", 50, Double(architecture.parameterCount(depth: 4))),
            ("Scratch 3 ep", "tuned", 55, Double(architecture.parameterCount(depth: 4))),
        ]
        #expect(storage.count == expectedStorage.count)
        for expected in expectedStorage {
            let key = try #require(report.series.first { $0.label == expected.label }?.key)
            let point = try #require(
                storage.first { $0.attributes["data-series"] == key && $0.attributes["data-kind"] == expected.kind })
            let panel = panels["parameters"]!
            #expect(panel.attributes["data-x-scale"] == "log")
            expectClose(point.number("data-y"), expected.mean, absolute: 1e-9, "mean of \(expected.label)")
            expectClose(
                [point.number("data-cx"), point.number("data-cy")],
                [pixel(expected.stored / 1e6, panel, axis: "x"), pixel(expected.mean, panel, axis: "y")],
                absolute: 0.5, "storage point of \(expected.label)")
            checked += 1
        }
        #expect(checked == points.count)
        // The axes the reader sees use the same transform: each tick label sits at its value.
        for tick in try elements(svg, opening: "text class=\"tick\" data-axis=\"y\"") {
            let panel = panels[tick.attributes["data-panel"]!]!
            expectClose(
                tick.number("y") - 4, pixel(tick.number("data-value"), panel, axis: "y"), absolute: 0.5,
                "y tick \(tick.number("data-value"))")
        }
        for tick in try elements(svg, opening: "text class=\"tick\" data-axis=\"x\"") {
            let panel = panels[tick.attributes["data-panel"]!]!
            expectClose(tick.number("x"), pixel(tick.number("data-value"), panel, axis: "x"), absolute: 0.5, "x tick")
        }
        #expect(
            svg.contains("Top-1 accuracy (%)") && svg.contains("Parameters stored (millions)")
                && svg.contains("Depth (layers)"))
        // The random-assigned point carries its range over seeds as a bar from min to max (untuned panel), and
        // (c)'s SWS points the range over their two depths.
        let ranges = try elements(svg, opening: "line class=\"range\"")
        let seedBar = try #require(ranges.first { $0.attributes["data-panel"] == "untuned" })
        #expect(ranges.filter { $0.attributes["data-panel"] == "untuned" }.count == 1)
        expectClose(
            [seedBar.number("y1"), seedBar.number("y2")],
            [pixel(60, panels["untuned"]!, axis: "y"), pixel(68, panels["untuned"]!, axis: "y")], absolute: 0.5,
            "min–max bar")
    }

    /// Every y axis is fitted to its own figures (a margin, round ends): no panel runs 0–90 for figures at 84–88.
    @Test func eachPanelsRangeFitsItsFigures() throws {
        let svg = AccuracyPlot.svg(Self.zooLike(architecture: architecture))
        let panels = try panels(svg)
        let points = try elements(svg, opening: "path class=\"point\"")
        let expected: [String: (low: Double, high: Double)] = [
            "untuned": (40, 90), "untuned-low": (5, 9), "tuned": (82, 89), "tuned-low": (50, 80),
        ]
        for (name, range) in expected {
            let panel = try #require(panels[name], "no panel \(name): \(panels.keys.sorted())")
            let mine = points.filter { $0.attributes["data-panel"] == name }
            #expect(!mine.isEmpty)
            let values = mine.map { $0.number("data-y") }
            #expect(
                panel.number("data-y-min") <= values.min()! && panel.number("data-y-max") >= values.max()!,
                "\(name): every figure inside its axis")
            #expect(
                panel.number("data-y-min") >= range.low && panel.number("data-y-max") <= range.high,
                "\(name) runs \(panel.number("data-y-min"))–\(panel.number("data-y-max")), not within \(range)")
        }
        // Near chance (Vanilla-LG untuned, 6–8 %) is alone below the break.
        let low = Set(
            points.filter { $0.attributes["data-panel"] == "untuned-low" }.map { $0.attributes["data-series"]! })
        #expect(low == ["anc:1|vanilla-lg||"], "\(low)")
    }

    /// Sixteen series, as the zoo has: each its own colour, and its own colour and marker together, the same on
    /// every point of it as in the legend; the legend draws untuned dashed and tuned solid, as the lines are drawn.
    @Test func everySeriesHasItsOwnColourAndMarkerAndTheLegendShowsLineStyles() throws {
        let report = Self.zooLike(architecture: architecture)
        #expect(report.series.count == 16)
        let svg = AccuracyPlot.svg(report)
        let legend = try elements(svg, opening: "g class=\"legend-entry\"")
        #expect(legend.map { $0.attributes["data-series"]! } == report.series.map(\.key))
        let colours = legend.map { $0.attributes["data-colour"]! }
        #expect(Set(colours).count == 16, "colours: \(colours)")
        #expect(Set(legend.map { "\($0.attributes["data-colour"]!) \($0.attributes["data-marker"]!)" }).count == 16)
        let style = Dictionary(uniqueKeysWithValues: legend.map { ($0.attributes["data-series"]!, $0) })
        for point in try elements(svg, opening: "path class=\"point\"") {
            let entry = try #require(style[point.attributes["data-series"]!])
            #expect(point.attributes["stroke"] == entry.attributes["data-colour"])
            #expect(point.attributes["data-marker"] == entry.attributes["data-marker"])
            #expect(
                point.attributes["fill"]
                    == (point.attributes["data-kind"] == "tuned" ? entry.attributes["data-colour"] : "white"))
        }
        // Line styles: dashed untuned, solid tuned, in the plot and in the legend; a trained network is one marker.
        for line in try elements(svg, opening: "polyline class=\"series-line\"") {
            #expect((line.attributes["stroke-dasharray"] != nil) == (line.attributes["data-kind"] == "untuned"))
        }
        let legendLines = try elements(svg, opening: "line class=\"legend-line\"")
        #expect(legendLines.contains { $0.attributes["data-kind"] == "untuned" })
        #expect(legendLines.contains { $0.attributes["data-kind"] == "tuned" })
        for line in legendLines {
            #expect(
                (line.attributes["stroke-dasharray"] == AccuracyPlot.dashPattern)
                    == (line.attributes["data-kind"] == "untuned"))
        }
        // SWS front-mid-last has both (two legend lines), Scratch 1 ep only tuned, an Aux-Net no line at all.
        let segments = svg.components(separatedBy: "<g class=\"legend-entry\"").dropFirst().map {
            $0.components(separatedBy: "</g>")[0]
        }
        func kinds(_ label: String) -> [String] {
            let index = report.series.firstIndex { $0.label.hasPrefix(label) }!
            return segments[index].components(separatedBy: "data-kind=\"").dropFirst().map {
                String($0.prefix { $0 != "\"" })
            }
        }
        #expect(kinds("SWS front-mid-last") == ["untuned", "tuned"])
        #expect(kinds("Scratch 1 ep") == ["tuned"])
        #expect(kinds("Aux-Net").isEmpty)
        #expect(report.series.filter { $0.label.hasPrefix("Plain ViT") }.count == 3, "plain models are not Aux-Nets")
        // The legend names a learngene once, whether or not the label holds it.
        #expect(
            report.series.map(AccuracyPlot.legendLabel).allSatisfy { label in
                report.sources.filter { label.contains($0.reference) }.count <= 1
                    && label.components(separatedBy: ":2").count <= 2
            })
        // Three trained networks of depth 16 stand 10 px apart, not on one another.
        let sixteen = try elements(svg, opening: "path class=\"point\"").filter {
            $0.attributes["data-panel"] == "untuned" && $0.attributes["data-depth"] == "16"
        }
        #expect(sixteen.map { $0.number("data-dx") }.sorted() == [-10, 0, 10])
    }

    /// Depth ticks stand at the depths measured only, labelled with the depth: no Des-5 for an ancestry's depth.
    @Test func depthTicksOnlyAtRealDepths() throws {
        let report = Self.zooLike(architecture: architecture)
        let svg = AccuracyPlot.svg(report)
        let real = Set(report.rows.map(\.depth)).sorted().map(Double.init)
        #expect(real == [5, 6, 9, 12, 15, 16])
        for name in ["untuned-low", "tuned-low"] {
            let ticks = try elements(svg, opening: "text class=\"tick\" data-axis=\"x\"").filter {
                $0.attributes["data-panel"] == name
            }
            #expect(ticks.map { $0.number("data-value") } == real, "\(name)")
        }
        #expect(!svg.contains(">Des-"), "tick labels are depths")
    }

    /// A zoo-shaped report: 16 series (five trained networks, SWS orders and random, four baselines, scratch at three
    /// epoch counts) at depths 6, 9, 12, 15, with the zoo's kind of figures.
    static func zooLike(architecture: ViTArchitecture) -> AccuracyReport {
        let schedule = try! StageSchedule([3, 3, 4, 3, 3])
        func source(_ reference: String, _ kind: String, stored: Int?) -> AccuracyReport.Source {
            .init(
                reference: reference, kind: kind, architecture: architecture, schedule: stored == nil ? nil : schedule,
                storedParameters: stored)
        }
        let sources = [
            source("sws:2", "sws", stored: 250_000), source("tleg:2", "tleg", stored: 110_000),
            source("simple:2", "plain", stored: 250_000), source("imwlm:2", "plain", stored: 800_000),
            source("anc:1", "plain", stored: 1_200_000), source("scratch", "scratch", stored: nil),
        ]
        var observations: [AccuracyReport.Observation] = []
        func add(
            _ source: String, _ strategy: String, _ order: String?, untuned: Double?, tuned: Double?, epochs: Int = 1
        ) {
            for (index, depth) in [6, 9, 12, 15].enumerated() {
                let wobble = Double(index) * 0.004
                if let untuned {
                    observations.append(
                        .init(
                            source: source, strategy: strategy, order: order, seed: nil, depth: depth, tunedEpochs: 0,
                            top1: untuned + wobble))
                }
                if let tuned {
                    observations.append(
                        .init(
                            source: source, strategy: strategy, order: order, seed: 0, depth: depth,
                            tunedEpochs: epochs, top1: tuned + wobble))
                }
            }
        }
        for (source, depth, top1) in [
            ("sws:2", 16, 0.866), ("tleg:2", 16, 0.858), ("imwlm:2", 16, 0.875), ("simple:2", 5, 0.87),
            ("anc:1", 6, 0.88),
        ] {
            observations.append(
                .init(
                    source: source, strategy: "aux-net", order: nil, seed: nil, depth: depth, tunedEpochs: 0, top1: top1
                ))
        }
        add("sws:2", "cyclic", "front-mid-last", untuned: 0.81, tuned: 0.857)
        add("sws:2", "cyclic", "mid-front-last", untuned: 0.75, tuned: nil)
        add("sws:2", "cyclic", "last-mid-front", untuned: 0.72, tuned: nil)
        add("sws:2", "random", nil, untuned: 0.78, tuned: nil)
        add("simple:2", "simple-lg", "front-mid-last", untuned: 0.45, tuned: 0.862)
        add("tleg:2", "tleg", nil, untuned: 0.74, tuned: 0.85)
        add("imwlm:2", "imwlm", nil, untuned: 0.72, tuned: 0.84)
        add("anc:1", "vanilla-lg", nil, untuned: 0.06, tuned: 0.56)
        add("scratch", "scratch", nil, untuned: nil, tuned: 0.55, epochs: 1)
        add("scratch", "scratch", nil, untuned: nil, tuned: 0.67, epochs: 3)
        add("scratch", "scratch", nil, untuned: nil, tuned: 0.83, epochs: 10)
        return AccuracyReport(sources: sources, observations: observations, evalSet: "fashion-mnist:test")
    }
}
