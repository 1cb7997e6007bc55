import Foundation
import LgregArchitecture
import LgregCore

/// `verify --merge REPORT…`: the `verify --shard K/N --json` reports of one run put back together into the report
/// one `verify --all` prints (same entries, checks, verdicts and measured figures; `evaluation` sums the shards'
/// work and throughput, `seconds` the time each shard spent on an entry).
extension Verifier {
    /// Why shard reports do not make one report.
    public enum MergeError: Error, Equatable, CustomStringConvertible {
        /// A report that cannot be read.
        case unreadable(file: String, reason: String)
        /// A report that is not a `verify --shard --json` report this lgreg reads: the file and field.
        case invalid(file: String, field: String?, reason: String)
        /// Reports that are not every shard of one run exactly once: a shard missing or given twice, or shards of
        /// different stores or settings.
        case incomplete(String)

        public var description: String {
            switch self {
            case .unreadable(let file, let reason): return "\(file): \(reason)"
            case .invalid(let file, let field?, let reason): return "\(file): field '\(field)' \(reason)"
            case .invalid(let file, nil, let reason): return "\(file): \(reason)"
            case .incomplete(let reason): return reason
            }
        }
    }

    /// Reads one shard report, refusing anything but a `verify --shard --json` report of this schema version.
    public static func readShardReport(_ file: String) throws -> Report {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            throw MergeError.unreadable(file: file, reason: (error as NSError).localizedDescription)
        }
        struct Version: Decodable { var schemaVersion: Int? }
        let version: Version
        do { version = try JSONDecoder().decode(Version.self, from: data) } catch let error as DecodingError {
            let named = ArchitectureFileError(decoding: error, path: file)
            throw MergeError.invalid(file: file, field: named.field, reason: named.reason)
        }
        guard let found = version.schemaVersion else {
            throw MergeError.invalid(file: file, field: "schemaVersion", reason: "is missing")
        }
        let current = Report(tolerance: 0, status: .ok, learngenes: [], evaluation: .init(evaluator: "")).schemaVersion
        guard found == current else {
            throw MergeError.invalid(
                file: file, field: "schemaVersion", reason: "is \(found); this lgreg reads version \(current) only")
        }
        let report: Report
        do { report = try StrictJSONDecoder().decode(Report.self, from: data) } catch let error as DecodingError {
            let named = ArchitectureFileError(decoding: error, path: file)
            throw MergeError.invalid(file: file, field: named.field, reason: named.reason)
        }
        guard let shard = report.shard else {
            throw MergeError.invalid(
                file: file, field: "shard", reason: "is missing: not the report of a `verify --all --shard K/N` run")
        }
        guard Shard(index: shard.index, count: shard.count) != nil else {
            throw MergeError.invalid(
                file: file, field: "shard.index", reason: "is \(shard.index) of \(shard.count); needs 1 ≤ index ≤ count"
            )
        }
        return report
    }

    /// Merges the reports of every shard of one run (`files` name them in messages).
    /// - Throws: `MergeError.incomplete` for a shard missing or given twice, or shards of different runs;
    ///   `.invalid` for a report whose checks do not fit its own summary.
    public static func merge(_ reports: [Report], files: [String]) throws -> Report {
        guard let first = reports.first, let run = first.shard else {
            throw MergeError.incomplete("--merge needs the reports of every shard")
        }
        var byIndex: [Int: Int] = [:]
        for (position, report) in reports.enumerated() {
            let shard = report.shard!
            guard shard.count == run.count, shard.run == run.run else {
                throw MergeError.incomplete(
                    "\(files[position]) is shard \(shard.index)/\(shard.count) of run \(shard.run), \(files[0]) shard \(run.index)/\(run.count) of run \(run.run): they come from different stores or settings"
                )
            }
            if let earlier = byIndex[shard.index] {
                throw MergeError.incomplete(
                    "shard \(shard.index)/\(shard.count) is given twice: \(files[earlier]) and \(files[position])")
            }
            byIndex[shard.index] = position
        }
        let missing = (1...run.count).filter { byIndex[$0] == nil }
        guard missing.isEmpty else {
            throw MergeError.incomplete(
                "missing the report of shard \(missing.map { "\($0)/\(run.count)" }.joined(separator: ", ")): \(run.count) shards make the run, \(reports.count) given"
            )
        }
        let owned = reports.reduce(0) { $0 + $1.shard!.owned }
        guard owned == run.units else {
            throw MergeError.incomplete("the shards report \(owned) checks between them, the run has \(run.units)")
        }
        func owner(_ index: Int?, _ field: String) throws -> Report {
            guard let index, let position = byIndex[index] else {
                throw MergeError.invalid(file: files[0], field: field, reason: "names no shard of the run")
            }
            return reports[position]
        }
        var verdicts: [Verdict] = []
        for (i, skeleton) in first.learngenes.enumerated() {
            let parts = try reports.enumerated().map { position, report in
                guard report.learngenes.indices.contains(i), report.learngenes[i].reference == skeleton.reference,
                    report.learngenes[i].checks.count == skeleton.checks.count || skeleton.shard != nil
                else {
                    throw MergeError.invalid(
                        file: files[position], field: "learngenes[\(i)]",
                        reason: "is not \(skeleton.reference) as the other shards list it")
                }
                return report.learngenes[i]
            }
            if skeleton.shard != nil {
                var whole = try owner(skeleton.shard, "learngenes[\(i)].shard").learngenes[i]
                whole.shard = nil
                verdicts.append(whole)
                continue
            }
            var checks: [Check] = []
            for (j, check) in skeleton.checks.enumerated() {
                var owned = try owner(check.shard, "learngenes[\(i)].checks[\(j)].shard").learngenes[i].checks[j]
                owned.shard = nil
                checks.append(owned)
            }
            let digest = parts.lazy.compactMap(\.digest).first
            let seconds = parts.compactMap(\.seconds)
            verdicts.append(
                Verdict(
                    reference: skeleton.reference, digest: digest, status: checks.map(\.status).max() ?? .ok,
                    checks: checks, seconds: seconds.isEmpty ? nil : seconds.reduce(0, +)))
        }
        var work = first.evaluation
        for report in reports.dropFirst() {
            work.networks += report.evaluation.networks
            work.work.separateBlocks += report.evaluation.work.separateBlocks
            work.work.sharedBlocks += report.evaluation.work.sharedBlocks
            work.work.separateEmbeddings += report.evaluation.work.separateEmbeddings
            work.work.sharedEmbeddings += report.evaluation.work.sharedEmbeddings
        }
        work.throughput = VerifyThroughput.combining(reports.compactMap(\.evaluation.throughput))
        return Report(
            tolerance: first.tolerance, status: verdicts.map(\.status).max() ?? .ok, learngenes: verdicts,
            evaluation: work)
    }
}
