#!/usr/bin/env python3
"""A registry on 127.0.0.1 whose bearer challenge names a token server over plain HTTP on REALM_HOST (another
loopback address such as 127.0.0.2, or 127.0.0.1 itself), for lgreg's credential tests only. The token server
answers every request with a token and logs to LOG whether it carried an Authorization header; the registry
answers GET /v2/ with that token 200, anything else 401 with the challenge.

usage: foreign_realm.py PORT REALM_HOST REALM_PORT LOG
"""
import http.server
import json
import sys
import threading

PORT, REALM_HOST, REALM_PORT, LOG = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
TOKEN = "lgreg-test-token"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class TokenServer(Handler):
    def do_GET(self):
        with open(LOG, "a") as log:
            log.write(json.dumps({"path": self.path, "authorization": "Authorization" in self.headers}) + "\n")
        self.reply(200, {"token": TOKEN})


class Registry(Handler):
    def do_GET(self):
        if self.headers.get("Authorization") == "Bearer " + TOKEN:
            return self.reply(200, {})
        challenge = 'Bearer realm="http://%s:%d/token",service="lgreg-test"' % (REALM_HOST, REALM_PORT)
        self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
                   [("WWW-Authenticate", challenge)])


if __name__ == "__main__":
    realm = http.server.ThreadingHTTPServer((REALM_HOST, REALM_PORT), TokenServer)
    threading.Thread(target=realm.serve_forever, daemon=True).start()
    registry = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Registry)
    registry.daemon_threads = True
    print("listening", flush=True)
    registry.serve_forever()
