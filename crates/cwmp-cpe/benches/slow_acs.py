#!/usr/bin/env python3
# Minimal slow ACS for measuring: answers an Inform after DELAY seconds, then 204.
import http.server, re, sys, time
DELAY = float(sys.argv[2])
RESP = """<?xml version="1.0" encoding="UTF-8"?>
<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2">
<soap-env:Header><cwmp:ID soap-env:mustUnderstand="1">{id}</cwmp:ID></soap-env:Header>
<soap-env:Body><cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes></cwmp:InformResponse></soap-env:Body>
</soap-env:Envelope>"""
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if b"Inform>" in body or b"Inform " in body:
            m = re.search(rb"<cwmp:ID[^>]*>([^<]*)<", body)
            time.sleep(DELAY)
            out = RESP.format(id=(m.group(1).decode() if m else "1")).encode()
            self.send_response(200); self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(out))); self.end_headers(); self.wfile.write(out)
        else:
            self.send_response(204); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
