#!/usr/bin/env python3
"""A registry that lies: a proxy on 127.0.0.1 in front of a real registry that passes every request through,
except what its MODE makes it change on the way back. For lgreg's hostile-registry tests only.

usage: lying_registry.py PORT UPSTREAM_PORT MODE [LOG]
MODE: wrong-bytes     a blob GET answers the right size with one byte flipped
      wrong-last-blob the manifest's last layer is answered with one byte flipped, every other blob as it is
      wrong-size      a blob GET answers 10 bytes fewer (an honest Content-Length for them)
      endless         a blob GET answers a chunked body that never ends (stopped after 64 MiB)
      huge-manifest   a manifest GET answers 5 MiB of JSON, chunked, as an OCI manifest
      other-manifest  a manifest GET answers another manifest (an annotation changed) with the original digest header
      cut-blob        a blob GET declares the whole blob, sends half of it and closes the connection (a registry
                      that stops mid-transfer)
      slow-manifest   a manifest GET answers its bytes one a second (a server that takes for ever)
      slow-blob       a blob GET answers its bytes one a second
      huge-layer      a manifest GET (by tag) declares its second layer as 1 TB, and that layer's GET streams zeros
                      (stopped after 64 MiB); every blob GET is logged to LOG
      many-layers     a manifest GET (by tag) lists its first layer 25,000 times; blob GETs logged to LOG
      forged-sizes    a manifest GET (by tag) names a forged config whose second file, like the manifest's second
                      layer, is 1 TB; blob GETs logged to LOG
      huge-config     a manifest GET (by tag) declares its config as 2 GiB, and the config's GET streams zeros
                      (stopped after 64 MiB); blob GETs logged to LOG
      redirect        not a lie: every /v2/ request needs basic auth (any user), and a blob GET answers 307 to the
                      same proxy under the name localhost (another host), which serves it without auth; each
                      redirected request is logged to LOG with whether it carried an Authorization header
"""
import hashlib
import http.client
import http.server
import json
import sys
import time

PORT, UPSTREAM, MODE = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
LOG = sys.argv[4] if len(sys.argv) > 4 else None
TERABYTE = 10 ** 12
# Forged blobs served by digest: sha256:<hex> -> bytes; blobs answered with 64 MiB of zeros instead.
FORGED = {}
ZEROS = set()
# The last layer of the manifest passed through (wrong-last-blob).
LAST_LAYER = []


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def forge(manifest):
    """The manifest a forging MODE answers instead of `manifest` (a dict)."""
    if MODE == "huge-layer":
        manifest["layers"][1]["size"] = TERABYTE
        ZEROS.add(manifest["layers"][1]["digest"])
    elif MODE == "many-layers":
        first = manifest["layers"][0]
        manifest["layers"] = [{key: first[key] for key in ("mediaType", "digest", "size")}] * 25000
    elif MODE == "huge-config":
        manifest["config"]["size"] = 2 << 30
        ZEROS.add(manifest["config"]["digest"])
    elif MODE == "forged-sizes":
        config = json.loads(fetch_upstream("/v2/team/aux/blobs/" + manifest["config"]["digest"]))
        config["layers"][0]["size"] = TERABYTE
        forged = json.dumps(config, sort_keys=True, indent=2).encode()
        FORGED[digest(forged)] = forged
        manifest["config"] = dict(manifest["config"], digest=digest(forged), size=len(forged))
        manifest["layers"][1]["size"] = TERABYTE
    return manifest


def fetch_upstream(path):
    upstream = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=30)
    upstream.request("GET", path)
    data = upstream.getresponse().read()
    upstream.close()
    return data


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        upstream.request(self.command, self.path, body=body, headers=headers)
        response = upstream.getresponse()
        data = response.read()
        upstream.close()
        return response.status, [(k, v) for k, v in response.getheaders() if k.lower() not in ("connection", "transfer-encoding")], data

    def answer(self, status, headers, data, content_length=True):
        self.send_response(status)
        for key, value in headers:
            if key.lower() != "content-length":
                self.send_header(key, value)
        if content_length:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def chunked(self, status, headers, chunks):
        self.send_response(status)
        for key, value in headers:
            if key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for chunk in chunks:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def needs_auth(self):
        if MODE != "redirect" or self.path.startswith("/redirected/") or self.headers.get("Authorization", "").startswith("Basic "):
            return False
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="lying-registry"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        return True

    def trickle(self, status, headers, data):
        """Answers `data` one byte a second (until the client gives up)."""
        self.send_response(status)
        for key, value in headers:
            if key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            for byte in data:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(1)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def do_GET(self):
        if self.needs_auth():
            return
        if LOG and MODE != "redirect" and "/blobs/sha256:" in self.path:
            with open(LOG, "a") as log:
                log.write(json.dumps({"path": self.path}) + "\n")
        forged = FORGED.get(self.path.rsplit("/", 1)[-1])
        if forged is not None:
            return self.answer(200, [("Content-Type", "application/octet-stream")], forged)
        if MODE == "redirect" and self.path.startswith("/redirected/"):
            with open(LOG, "a") as log:
                log.write(json.dumps({"path": self.path, "authorization": "Authorization" in self.headers}) + "\n")
            self.path = self.path[len("/redirected"):]
        elif MODE == "redirect" and "/blobs/sha256:" in self.path:
            self.send_response(307)
            self.send_header("Location", "http://localhost:%d/redirected%s" % (PORT, self.path))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status, headers, data = self.forward()
        is_blob = "/blobs/sha256:" in self.path and status == 200
        is_manifest = "/manifests/" in self.path and status == 200 and "sha256-" not in self.path
        if is_manifest and MODE == "wrong-last-blob":
            LAST_LAYER.append(json.loads(data)["layers"][-1]["digest"])
        if is_blob and (MODE == "wrong-bytes" or self.path.rsplit("/", 1)[-1] in LAST_LAYER) and data:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        elif is_blob and MODE == "wrong-size":
            data = data[:-10]
        elif is_blob and MODE == "cut-blob":
            self.send_response(status)
            for key, value in headers:
                if key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        elif is_blob and MODE == "endless":
            return self.chunked(status, headers, (b"\0" * (1 << 20) for _ in range(64)))
        elif is_blob and self.path.rsplit("/", 1)[-1] in ZEROS:
            return self.chunked(status, headers, (b"\0" * (1 << 20) for _ in range(64)))
        elif (is_blob and MODE == "slow-blob") or (is_manifest and MODE == "slow-manifest"):
            return self.trickle(status, headers, data)
        elif is_manifest and MODE in ("huge-layer", "many-layers", "huge-config", "forged-sizes"):
            data = json.dumps(forge(json.loads(data)), sort_keys=True, separators=(",", ":")).encode()
            headers = [(k, v) for k, v in headers if k.lower() != "docker-content-digest"]
            headers.append(("Docker-Content-Digest", digest(data)))
        elif is_manifest and MODE == "huge-manifest":
            filler = json.dumps({"schemaVersion": 2, "annotations": {"filler": "x" * (5 << 20)}}).encode()
            return self.chunked(status, headers, (filler[i:i + (1 << 16)] for i in range(0, len(filler), 1 << 16)))
        elif is_manifest and MODE == "other-manifest":
            manifest = json.loads(data)
            manifest.setdefault("annotations", {})["org.opencontainers.image.description"] = "not what was pushed"
            data = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
        self.answer(status, headers, data)

    def do_HEAD(self):
        if self.needs_auth():
            return
        status, headers, data = self.forward()
        self.answer(status, headers, b"", content_length=False)
        self.wfile.flush()

    do_PUT = do_POST = do_PATCH = do_DELETE = lambda self: self.answer(*self.forward())


if __name__ == "__main__":
    server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Proxy)
    server.daemon_threads = True
    print("listening", flush=True)
    server.serve_forever()
