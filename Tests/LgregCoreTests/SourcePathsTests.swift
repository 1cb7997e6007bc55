import LgregCore
import Testing

/// Issue 24: no message carries the build machine's source paths (BoringSSL names its own file and line).
@Suite struct SourcePathsTests {
    @Test func sourceLocationsAreTakenOutAndTheRestKept() {
        let boring =
            "handshakeFailed(BoringSSLError.sslError([Error: 268435703 error:100000f7:SSL routines:OPENSSL_internal:"
            + "WRONG_VERSION_NUMBER at /work/main/.build/checkouts/swift-nio-ssl/Sources/CNIOBoringSSL/ssl/tls_record.cc:231]))"
        #expect(
            SourcePaths.removed(from: boring)
                == "handshakeFailed(BoringSSLError.sslError([Error: 268435703 error:100000f7:SSL routines:OPENSSL_internal:"
                + "WRONG_VERSION_NUMBER]))")
        #expect(SourcePaths.removed(from: "Fatal error at /src/Sources/X/Y.swift:12:3 here") == "Fatal error here")
        // A user's files stay: an archive, a checkpoint, a folder.
        let mine = "/home/me/aux-b.lgz: not a learngene archive; /data/ckpt.pth; /tmp/out/"
        #expect(SourcePaths.removed(from: mine) == mine)
    }
}
