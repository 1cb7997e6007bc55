import Foundation
import Testing

@testable import LgregArchitecture

@Suite struct StageScheduleTests {
    @Test func auxBSchedule() throws {
        let schedule = try StageSchedule(parsing: "3,3,4,3,3")
        #expect(schedule.depth == 16)
        #expect(schedule.stageCount == 5)
        #expect(schedule.stageOfLayer == [0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 4, 4])
    }

    @Test func balancedMatchesThePapersSchedules() throws {
        #expect(try StageSchedule.balanced(depth: 16, stages: 5).layersPerStage == [3, 3, 4, 3, 3])
        #expect(try StageSchedule.balanced(depth: 12, stages: 6).layersPerStage == [2, 2, 2, 2, 2, 2])
        #expect(try StageSchedule.balanced(depth: 7, stages: 3).layersPerStage == [2, 3, 2])
        #expect(throws: ArchitectureError.self) { try StageSchedule.balanced(depth: 3, stages: 5) }
    }

    @Test(arguments: ["", "3,,4", "3,0,4", "3,-1", "a,b", "3;3"])
    func malformedSchedulesAreRefused(text: String) {
        #expect(throws: ArchitectureError.self) { try StageSchedule(parsing: text) }
    }

    @Test func scheduleMustCoverTheDepth() throws {
        let schedule = try StageSchedule([3, 3, 4, 3, 3])
        #expect(throws: ArchitectureError.invalidSchedule(reason: "layer counts 3,3,4,3,3 sum to 16, not the depth 12"))
        {
            try schedule.validate(depth: 12)
        }
    }

    @Test func depthRanges() throws {
        #expect(try DepthRange.parse("6-15") == Array(6...15))
        #expect(try DepthRange.parse("12") == [12])
        #expect(try DepthRange.parse("12,6,9-10") == [6, 9, 10, 12])
        for bad in ["", "0", "9-6", "a", "6-", "1-2-3"] {
            #expect(throws: ArchitectureError.self) { try DepthRange.parse(bad) }
        }
    }
}

@Suite struct ArchitectureFileTests {
    @Test func roundTrip() throws {
        let file = ArchitectureFile(
            architecture: try .preset("fmnist-small"), depth: 16, schedule: try StageSchedule([3, 3, 4, 3, 3]))
        let decoded = try ArchitectureFile.decode(try file.encoded(), path: "a.json")
        #expect(decoded == file)
    }

    @Test func refusesUnknownVersion() throws {
        var json =
            try JSONSerialization.jsonObject(with: ArchitectureFile(architecture: try .preset("deit-base")).encoded())
            as! [String: Any]
        json["schemaVersion"] = 2
        let error = #expect(throws: ArchitectureFileError.self) {
            try ArchitectureFile.decode(try JSONSerialization.data(withJSONObject: json), path: "arch.json")
        }
        #expect(error?.description == "arch.json: field 'schemaVersion' is 2; this lgreg reads version 1 only")
    }

    @Test func namesTheMissingField() throws {
        var json =
            try JSONSerialization.jsonObject(with: ArchitectureFile(architecture: try .preset("deit-base")).encoded())
            as! [String: Any]
        var arch = json["architecture"] as! [String: Any]
        arch.removeValue(forKey: "width")
        json["architecture"] = arch
        let error = #expect(throws: ArchitectureFileError.self) {
            try ArchitectureFile.decode(try JSONSerialization.data(withJSONObject: json), path: "arch.json")
        }
        #expect(error?.description == "arch.json: field 'architecture.width' is missing")
    }

    @Test func namesTheInconsistentField() throws {
        var arch = try ViTArchitecture.preset("deit-base")
        arch.heads = 7
        let data = try ArchitectureFile(architecture: arch).encoded()
        let error = #expect(throws: ArchitectureFileError.self) { try ArchitectureFile.decode(data, path: "arch.json") }
        #expect(error?.description == "arch.json: architecture field 'heads': 7 does not divide width 768")
    }
}
