import ArgumentParser
import Foundation
import LgregArchitecture
import LgregImport
import LgregZoo

/// `lgreg import checkpoint.pth --layout sws-official -o aux-b.lgz`, `lgreg import --inspect checkpoint.pth`
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Turn a PyTorch checkpoint or a safetensors file trained elsewhere into a learngene archive.",
        discussion: """
            FILE is a torch.save zip file (.pth, .pt, .bin; PyTorch 1.6 or later) or a safetensors file. The zip is read \
            by a restricted unpickler that executes nothing (docs/import.md lists what it accepts). Layouts: \
            sws-official (the SWS Aux-Net as the authors' code saves it; --schedule, default 3,3,4,3,3), tleg-official \
            (the TLEG Aux-Net: θ_A from *_base, θ_B from *_ilayer; --schedule is its depth, default 12), timm (a \
            VisionTransformer state dict, into a plain learngene). The architecture is inferred from the shapes, with \
            heads = width / 64 unless --heads or --arch says otherwise. The archive's provenance records the file's \
            SHA-256 and the layout. --inspect lists the keys, shapes and dtypes and the layout lgreg would pick.
            Exit status: 0 ok; 64 usage or bad input; 65 bad checkpoint data (including anything hostile); 74 I/O error.
            """)

    @Argument(help: "The checkpoint: .pth, .pt, .bin (torch.save zip) or .safetensors.")
    var file: String
    @Flag(help: "List the checkpoint's keys, shapes and dtypes and the layout lgreg would pick; write nothing.")
    var inspect = false
    @Option(help: "How the checkpoint names its tensors: sws-official, tleg-official or timm.")
    var layout: String?
    @Option(
        help: "The checkpoint key holding the state dict (model, model_ema); default: the bare state dict, else model.")
    var key: String?
    @Option(
        help: "sws-official: layers per stage (default 3,3,4,3,3); tleg-official: the Aux-Net's depth (default 12).")
    var schedule: String?
    @Option(help: "Attention heads (default: width / 64).")
    var heads: Int?
    @Option(help: "The architecture (a preset or an architecture JSON file) instead of inferring it from the shapes.")
    var arch: String?
    @Option(help: "Learngene name (default: the output file's name).")
    var name: String?
    @Option(name: .customLong("learngene-version"), help: "The learngene's version (`lgreg --version` is lgreg's).")
    var version = "1"
    @Option(help: "SPDX licence of the weights.")
    var license = "NOASSERTION"
    @Option(name: .shortAndLong, help: "Archive to write.")
    var output: String?

    func validate() throws {
        if inspect { return }
        guard let layout else {
            throw ValidationError("Pass --layout sws-official, tleg-official or timm (see --inspect).")
        }
        guard CheckpointLayout(rawValue: layout) != nil else {
            throw ValidationError(
                "--layout must be one of \(CheckpointLayout.allCases.map(\.rawValue).joined(separator: ", ")), not '\(layout)'."
            )
        }
        guard output != nil else { throw ValidationError("Pass -o OUT.lgz.") }
    }

    func run() throws {
        do { try importOrInspect() } catch ImportError.forbiddenGlobal(let path, let offset, let module, let name)
            where ["__builtin__", "builtins"].contains(module) && name == "set"
        {
            // The `set` of non-persistent buffers every nn.Module pickles: torch.save(model), not a state dict.
            throw ExitStatus.failure(
                "\(path): data.pkl at byte \(offset) pickles a whole nn.Module (torch.save(model)), which lgreg does not "
                    + "run (nothing was executed); save its weights instead: torch.save(model.state_dict(), 'weights.pth')",
                65)
        }
    }

    private func importOrInspect() throws {
        let options = try layoutOptions()
        if inspect {
            render(try CheckpointImport.inspect(path: file, key: key, options: options))
            return
        }
        let output = URL(fileURLWithPath: output!)
        let request = CheckpointImport.Request(
            path: file, layout: CheckpointLayout(rawValue: layout!)!, key: key, options: options,
            name: name ?? output.deletingPathExtension().lastPathComponent.lowercased(), version: version,
            license: license,
            output: output, toolVersion: "lgreg \(Lgreg.version)")
        let manifest = try CheckpointImport.run(request)
        print(
            "\(output.path): \(manifest.reference), \(manifest.kind.rawValue), \(manifest.layers.count) layers, "
                + "\(manifest.parameters!.stored) parameters, \(manifest.dtype.rawValue), from \(manifest.provenance.source!.digest)"
        )
    }

    private func layoutOptions() throws -> LayoutOptions {
        var options = LayoutOptions(heads: heads)
        if let schedule { options.schedule = try StageSchedule(parsing: schedule) }
        if let arch { options.architecture = try ViTArchitecture.lookup(arch) }
        return options
    }

    private func render(_ inspection: CheckpointImport.Inspection) {
        for entry in inspection.entries { print("\(entry.key): \(entry.summary)") }
        if !inspection.entries.isEmpty { print("") }
        print("tensors\(inspection.key.map { " of '\($0)'" } ?? ""): \(inspection.tensors.count)")
        for tensor in inspection.tensors { print("  \(tensor.name)  \(tensor.dtype.rawValue)  \(tensor.shape)") }
        guard let layout = inspection.layout else {
            print("layout: none recognized (expected sws-official, tleg-official or timm names)")
            return
        }
        switch inspection.plan {
        case .success(let plan)?:
            let a = plan.architecture
            print(
                "layout: \(layout.rawValue) → \(plan.kind.rawValue) learngene, \(plan.sources.count) tensors, schedule \(plan.schedule), "
                    + "width \(a.width), heads \(a.heads), \(a.imageSize)px / \(a.patchSize), \(a.classes) classes, pooling \(a.pooling.rawValue), \(plan.dtype.rawValue)"
            )
        case .failure(let error)?: print("layout: \(layout.rawValue), but \(error.description)")
        case nil: break
        }
    }
}
