// swift-tools-version:6.1
// lgreg: a registry and model zoo for SWS learngenes. One target per concern; see README.md.
import PackageDescription

// lgreg builds and runs on Linux, x86-64 with AVX2 + FMA or aarch64 (it calls Glibc directly; no other platform is
// declared). The runtime is optimized even in debug builds (its unoptimized kernels run ~100× slower, too slow for
// the tests), and on x86-64 its element-wise loops are vectorized for AVX2 + FMA (any x86 server since 2015); the
// `lgreg` command refuses an x86-64 CPU without them at start-up (CPUSupport, exit code 69).
#if arch(x86_64)
    let runtimeFlags = ["-O", "-target-cpu", "haswell"]
#else
    let runtimeFlags = ["-O"]
#endif

let package = Package(
    name: "lgreg",
    products: [
        .executable(name: "lgreg", targets: ["LgregCLI"]),
        .library(
            name: "Lgreg",
            targets: [
                "LgregCore", "LgregVocabulary", "LgregArchitecture", "SafeTensors", "LgregArchive", "LgregStore",
                "LgregResolver", "LgregRuntime", "LgregTraining", "LgregReports", "LgregZoo", "LgregImport",
                "LgregRemote", "LgregSite",
            ]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // The HTTP client of `lgreg push/pull` (streaming bodies, custom TLS trust); swift-nio and swift-nio-ssl are
        // its own dependencies, named here for the types its API takes (ByteBuffer, HTTPHeaders, TLSConfiguration).
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.100.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
    ],
    targets: [
        // C libraries, each through a module map and a shim header.
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        // CPUID and XGETBV for the start-up check that the CPU has what the runtime is compiled for (header only).
        .systemLibrary(name: "CCPUID"),

        // What every module shares: Digest, the seeded SplitMix64, the durable atomic file writer, strict JSON; and
        // the start-up CPU check, which is why it is built for the baseline CPU (no -target-cpu): it runs anywhere.
        .target(name: "LgregCore", dependencies: ["CCPUID", .product(name: "Crypto", package: "swift-crypto")]),
        // The words every module above shares: the one reference grammar, learngene kinds, strategy names,
        // lineages, top-1 values, and the rule that matches a declared result to a Des-Net.
        .target(name: "LgregVocabulary", dependencies: ["LgregCore"]),
        // The ViT description, stage schedules and the paper's parameter/FLOP accounting.
        .target(name: "LgregArchitecture", dependencies: ["LgregCore"]),
        // safetensors reader (memory-mapped, validated) and writer.
        .target(name: "SafeTensors", dependencies: ["LgregCore"]),
        // .lgz learngene archives: manifest, pack, inspect, hostile-input checks.
        .target(
            name: "LgregArchive",
            dependencies: [
                "LgregCore", "LgregVocabulary", "LgregArchitecture", "SafeTensors", "CArchive",
            ]),
        // Content-addressed OCI image-layout store with its SQLite index.
        .target(
            name: "LgregStore",
            dependencies: [
                "LgregCore", "LgregVocabulary", "LgregArchive", "LgregArchitecture", "SafeTensors",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        // Layer maps (cyclic, random-assigned, explicit, baselines) and Des-Net materialization.
        .target(
            name: "LgregResolver",
            dependencies: ["LgregCore", "LgregVocabulary", "LgregArchitecture", "LgregArchive", "SafeTensors"]),
        // ViT forward pass on OpenBLAS, data sets, evaluation.
        .target(
            name: "LgregRuntime",
            dependencies: ["LgregCore", "LgregVocabulary", "LgregArchitecture", "SafeTensors", "CBLAS", "CArchive"],
            swiftSettings: [.unsafeFlags(runtimeFlags)]),
        // Backward pass, losses, AdamW, SWS/TLEG/plain training and fine-tuning.
        .target(
            name: "LgregTraining",
            dependencies: ["LgregCore", "LgregRuntime", "LgregArchitecture", "SafeTensors", "LgregArchive"],
            // Optimized even in debug builds, like the runtime: the tests train real (small) models.
            swiftSettings: [.unsafeFlags(runtimeFlags)]),
        // Storage-savings, FLOPs and accuracy reports (tables, JSON, CSV, Markdown).
        .target(name: "LgregReports", dependencies: ["LgregVocabulary", "LgregArchitecture"]),
        // The application layer: what a command does, as library calls (open a learngene, materialize with
        // lineage, evaluate, declare, verify, train, fine-tune, the current learngene); the CLI parses, calls one of
        // these, renders.
        .target(
            name: "LgregZoo",
            dependencies: [
                "LgregCore", "LgregVocabulary", "LgregArchitecture", "SafeTensors", "LgregArchive", "LgregStore",
                "LgregResolver",
                "LgregRuntime", "LgregReports", "LgregTraining",
            ]),
        // `lgreg site`: a store rendered as a static site (index, a page per entry, inline SVG plots), escaped,
        // deterministic, relative links only.
        .target(
            name: "LgregSite",
            dependencies: [
                "LgregCore", "LgregVocabulary", "LgregArchitecture", "LgregArchive", "LgregStore", "LgregResolver",
                "LgregReports", "LgregZoo",
            ]),
        // `lgreg import`: PyTorch zip checkpoints (a restricted unpickler that executes nothing) and safetensors
        // files in the official SWS, TLEG and timm layouts, written as learngene archives.
        .target(
            name: "LgregImport",
            dependencies: ["LgregCore", "LgregArchitecture", "SafeTensors", "LgregArchive", "CArchive"]),
        // `lgreg push/pull/login`: the OCI distribution API v2 client (AsyncHTTPClient), the Docker config's
        // credentials, transfers checked blob by blob into the store.
        .target(
            name: "LgregRemote",
            dependencies: [
                "LgregCore", "LgregVocabulary", "LgregStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // The `lgreg` command.
        .executableTarget(
            name: "LgregCLI",
            dependencies: [
                "LgregCore", "LgregVocabulary", "LgregArchitecture", "SafeTensors", "LgregArchive", "LgregStore",
                "LgregResolver",
                "LgregRuntime", "LgregTraining", "LgregReports", "LgregZoo", "LgregImport", "LgregRemote", "LgregSite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], path: "Sources/LgregCLI"),

        // Forward-pass throughput of the runtime; Benchmarks/runtime.sh runs it beside timm.
        .executableTarget(
            name: "lgreg-bench-runtime", dependencies: ["LgregCore", "LgregRuntime", "LgregArchitecture"],
            path: "Benchmarks/lgreg-bench-runtime"),
        // `Benchmarks/materialize.sh`: in-store materialization and Des-B-15 export against cp (not a test).
        .executableTarget(
            name: "MaterializeBenchmark", dependencies: ["LgregResolver", "LgregStore", "LgregZoo"],
            path: "Benchmarks/MaterializeBenchmark"),
        // Training-step benchmark (Benchmarks/train_step.sh runs it beside PyTorch).
        .executableTarget(
            name: "lgreg-bench-train",
            dependencies: ["LgregCore", "LgregTraining", "LgregRuntime", "LgregArchitecture"],
            path: "Benchmarks/lgreg-bench-train"),

        .testTarget(name: "LgregCoreTests", dependencies: ["LgregCore", "LgregTestSupport"]),
        .testTarget(name: "LgregVocabularyTests", dependencies: ["LgregVocabulary", "LgregCore"]),
        .testTarget(
            name: "LgregArchitectureTests", dependencies: ["LgregArchitecture", "LgregCore", "LgregTestSupport"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "LgregCore"], exclude: ["Python"]),
        .testTarget(
            name: "LgregReportsTests", dependencies: ["LgregReports", "LgregArchitecture", "LgregTestSupport"]),
        // What several test targets share: the repository root and the JSON Schema check.
        .target(name: "LgregTestSupport", dependencies: ["LgregCore"], path: "Tests/LgregTestSupport"),
        .testTarget(
            name: "LgregCLITests", dependencies: ["LgregCLI", "LgregCore", "LgregTestSupport"],
            exclude: ["Python", "Fixtures"]),
        .testTarget(
            name: "LgregRuntimeTests",
            dependencies: [
                "LgregCore", "LgregRuntime", "LgregArchitecture", "LgregArchive", "SafeTensors", "LgregTestSupport",
            ],
            exclude: ["Python", "Fixtures"]),
        .testTarget(
            name: "LgregResolverTests",
            dependencies: [
                "LgregCore", "LgregResolver", "LgregArchitecture", "LgregArchive", "SafeTensors", "LgregRuntime",
                "LgregTestSupport",
            ],
            exclude: ["Python", "Fixtures"]),
        .testTarget(
            name: "LgregZooTests",
            dependencies: [
                "LgregZoo", "LgregCore", "LgregResolver", "LgregStore", "LgregArchive", "LgregArchitecture",
                "LgregRuntime", "LgregReports", "SafeTensors", "LgregTestSupport",
            ]),
        .testTarget(
            name: "LgregArchiveTests", dependencies: ["LgregCore", "LgregArchive", "LgregArchitecture", "SafeTensors"]),
        .testTarget(
            name: "LgregStoreTests",
            dependencies: [
                "LgregCore", "LgregStore", "LgregArchive", "LgregArchitecture", "SafeTensors", "CArchive",
                "LgregTestSupport",
            ]),
        .testTarget(
            name: "LgregImportTests",
            dependencies: [
                "LgregImport", "LgregCore", "LgregArchive", "LgregArchitecture", "LgregResolver", "LgregRuntime",
                "LgregZoo", "SafeTensors", "LgregTestSupport",
            ],
            exclude: ["Python", "Fixtures"]),
        .testTarget(
            name: "LgregRemoteTests",
            dependencies: ["LgregRemote", "LgregStore", "LgregCore", "LgregCLI", "LgregTestSupport"],
            exclude: ["Fixtures"]),
        // `lgreg site` run as users run it, and its pages checked in headless Chromium (Python/site_browser.py).
        .testTarget(
            name: "LgregSiteTests", dependencies: ["LgregCLI", "LgregCore", "LgregTestSupport"], exclude: ["Python"]),
        .testTarget(
            name: "LgregTrainingTests",
            dependencies: [
                "LgregCore", "LgregTraining", "LgregRuntime", "LgregArchitecture", "LgregArchive", "SafeTensors",
                "LgregTestSupport",
            ],
            exclude: ["Fixtures", "Python"]),
    ]
)
