#!/usr/bin/env python3
"""A registry token server (the Docker token auth a registry configured with `auth: token` sends clients to),
over HTTPS on 127.0.0.1, for lgreg's bearer-token tests only. It grants every asked-for action to USER:PASSWORD
(HTTP basic auth) and refuses everyone else. Tokens are RS256 JWTs signed with KEY (by `openssl dgst`), carrying
the signing certificate in `x5c`, which the registry checks against its rootcertbundle.

usage: token_server.py PORT CERT KEY ISSUER SERVICE USER PASSWORD [REQUEST_LOG]
"""
import base64
import http.server
import json
import ssl
import subprocess
import sys
import time
import urllib.parse

PORT, CERT, KEY, ISSUER, SERVICE, USER, PASSWORD = sys.argv[1:8]
REQUEST_LOG = sys.argv[8] if len(sys.argv) > 8 else None


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def certificate_der():
    pem = open(CERT).read()
    body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    return base64.b64decode("".join(body.split()))


def token(access):
    now = int(time.time())
    header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(certificate_der()).decode()]}
    claims = {"iss": ISSUER, "sub": USER, "aud": SERVICE, "exp": now + 300, "nbf": now - 10, "iat": now,
              "jti": str(now) + "-" + str(len(access)), "access": access}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY], input=signing_input.encode(),
                               capture_output=True, check=True).stdout
    return signing_input + "." + b64url(signature)


class TokenHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        if REQUEST_LOG:
            with open(REQUEST_LOG, "a") as log:
                log.write(json.dumps({"scope": query.get("scope", []), "service": query.get("service", [])}) + "\n")
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if url.path != "/token" or self.headers.get("Authorization") != expected:
            body = b'{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}'
            self.send_response(401)
        else:
            access = []
            for scope in query.get("scope", []):
                parts = scope.split(":")
                if len(parts) == 3:
                    access.append({"type": parts[0], "name": parts[1], "actions": parts[2].split(",")})
            issued = token(access)
            body = json.dumps({"token": issued, "access_token": issued, "expires_in": 300}).encode()
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(PORT)), TokenHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERT, KEY)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    server.serve_forever()
