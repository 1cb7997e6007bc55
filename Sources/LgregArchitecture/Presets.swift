/// Named architectures users select with `--preset`.
extension ViTArchitecture {
    /// Every preset by name, in the order `lgreg arch list` prints them.
    ///
    /// DeiT sizes follow timm (224×224×3, patch 16, 1000 classes) in the form SWS builds them: no class
    /// token and `avg-norm-first` pooling (`withTimmClassToken()` gives timm's DeiT with its class token). The
    /// Fashion-MNIST presets (28×28×1, patch 4, 10 classes) are the sizes this project trains on a CPU.
    public static let presets: [(name: String, architecture: ViTArchitecture)] = [
        ("deit-tiny", deit(width: 192, heads: 3)),
        ("deit-small", deit(width: 384, heads: 6)),
        ("deit-base", deit(width: 768, heads: 12)),
        ("fmnist-tiny", fashionMNIST(width: 64, heads: 2)),
        ("fmnist-small", fashionMNIST(width: 128, heads: 4)),
        ("fmnist-base", fashionMNIST(width: 192, heads: 3)),
    ]

    /// The preset called `name`.
    /// - Throws: `ArchitectureError.unknownPreset` listing the known names.
    public static func preset(_ name: String) throws -> ViTArchitecture {
        guard let found = presets.first(where: { $0.name == name }) else {
            throw ArchitectureError.unknownPreset(name: name, known: presets.map(\.name))
        }
        return found.architecture
    }

    /// This architecture as timm's DeiT builds it: a class token, classified from its final-norm output.
    public func withTimmClassToken() -> ViTArchitecture {
        var copy = self
        copy.classToken = true
        copy.pooling = .cls
        return copy
    }

    /// The same architecture with another head size.
    public func withClasses(_ classes: Int) -> ViTArchitecture {
        var copy = self
        copy.classes = classes
        return copy
    }

    private static func deit(width: Int, heads: Int) -> ViTArchitecture {
        ViTArchitecture(
            imageSize: 224, patchSize: 16, inChannels: 3, width: width, heads: heads,
            classes: 1000, classToken: false, pooling: .avgNormFirst)
    }

    private static func fashionMNIST(width: Int, heads: Int) -> ViTArchitecture {
        ViTArchitecture(
            imageSize: 28, patchSize: 4, inChannels: 1, width: width, heads: heads,
            classes: 10, classToken: false, pooling: .avgNormFirst)
    }
}
