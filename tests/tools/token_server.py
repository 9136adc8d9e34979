#!/usr/bin/env python3
"""A Docker-style bearer token service for a test docker-registry.

usage: token_server.py --key KEY.pem --cert CERT.pem [--chain CA.pem]
                       --service NAME --issuer NAME --user USER --password PASS
                       [--anonymous-pull] [--log FILE] [--expires-in S]
                       [--key-id-mode x5c|kid] [--max-seconds S]

Listens on 127.0.0.1 on a port the kernel picks and prints that port on
stdout as its first line, then serves until --max-seconds (default 60) have
passed.

GET /token?service=NAME&scope=TYPE:NAME:ACTIONS[&scope=...] (a scope may also
hold several space-separated scopes, as some clients send them) answers
  {"token": JWT, "access_token": JWT, "expires_in": S, "issued_at": ...}
where JWT is RS256-signed by KEY (with `openssl dgst -sha256 -sign`), the
signature a registry checks against the rootcertbundle of its token auth:
  header {"alg": "RS256", "typ": "JWT", "x5c": [base64 DER of CERT, then of
          the --chain certificates]}   (--key-id-mode x5c, the default)
  header {"alg": "RS256", "typ": "JWT", "kid": LIBTRUST-KEY-ID}
          (--key-id-mode kid: the libtrust key id of CERT's public key,
           which the registry derives from the certificates of its bundle)
  claims {"iss", "sub", "aud": service, "exp", "nbf", "iat", "jti",
          "access": [{"type", "name", "actions"}]}

What is granted:
  - HTTP Basic credentials USER:PASS: every requested action;
  - other Basic credentials: 401 with a JSON error (no token);
  - no credentials: "pull" of each requested scope with --anonymous-pull,
    otherwise nothing (a token with an empty access list, as Docker Hub
    gives for a private repository).
A request whose service is not --service gets 400.

--log FILE gets one JSON object per line for every request:
  {"path", "service", "scope" (the scope parameters joined with " "),
   "scopes" (the list of single scopes), "basic" (Basic credentials were
   presented), "user" (the Basic user name or null), "authorized" (they were
   right), "granted" ([{type, name, actions}]), "status"}
"""

import argparse
import base64
import hashlib
import http.server
import json
import secrets
import ssl
import subprocess
import sys
import time
import urllib.parse

from loopback_server import RequestLog, serve


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pem_certs(path):
    """The DER bytes of every certificate in a PEM file."""
    text = open(path).read()
    out = []
    marker = "-----END CERTIFICATE-----"
    for block in text.split(marker)[:-1]:
        start = block.find("-----BEGIN CERTIFICATE-----")
        if start >= 0:
            out.append(ssl.PEM_cert_to_DER_cert(block[start:] + marker + "\n"))
    if not out:
        raise SystemExit("token_server: no certificate in %s" % path)
    return out


def libtrust_key_id(cert_path):
    """libtrust's key id: base32 of the first 240 bits of the SHA-256 of the
    DER SubjectPublicKeyInfo, in 12 groups of 4 separated by ':'."""
    der = subprocess.run(["openssl", "x509", "-in", cert_path, "-noout", "-pubkey"],
                         check=True, capture_output=True, timeout=30).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=der,
                         check=True, capture_output=True, timeout=30).stdout
    b32 = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode()
    return ":".join(b32[i:i + 4] for i in range(0, 48, 4))


def parse_args(argv):
    p = argparse.ArgumentParser(description="bearer token service for tests")
    p.add_argument("--key", required=True, help="PEM RSA private key that signs")
    p.add_argument("--cert", required=True, help="PEM certificate of --key")
    p.add_argument("--chain", action="append", default=[],
                   help="PEM certificates to add to x5c after --cert")
    p.add_argument("--service", required=True)
    p.add_argument("--issuer", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--anonymous-pull", action="store_true")
    p.add_argument("--log")
    p.add_argument("--expires-in", type=int, default=300)
    p.add_argument("--key-id-mode", choices=["x5c", "kid"], default="x5c")
    p.add_argument("--max-seconds", type=float, default=60)
    return p.parse_args(argv)


class State(RequestLog):
    def __init__(self, args):
        super().__init__(args.log)
        self.args = args
        header = {"alg": "RS256", "typ": "JWT"}
        if args.key_id_mode == "x5c":
            ders = pem_certs(args.cert)[:1]
            for extra in args.chain:
                ders += pem_certs(extra)
            header["x5c"] = [base64.b64encode(d).decode() for d in ders]
        else:
            header["kid"] = libtrust_key_id(args.cert)
        self.header = b64url(json.dumps(header, separators=(",", ":")).encode())

    def sign(self, claims):
        payload = self.header + "." + b64url(json.dumps(claims, separators=(",", ":")).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.args.key],
                             input=payload.encode(), check=True, capture_output=True,
                             timeout=30).stdout
        return payload + "." + b64url(sig)


def split_scopes(values):
    out = []
    for v in values:
        out += [s for s in v.split(" ") if s]
    return out


def parse_scope(scope):
    """TYPE:NAME:ACTIONS; NAME may hold a registry host with a port."""
    typ, sep, rest = scope.partition(":")
    name, sep2, actions = rest.rpartition(":")
    if not sep or not sep2 or not typ or not name:
        return None
    return {"type": typ, "name": name, "actions": [a for a in actions.split(",") if a]}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "token_server"
    state = None  # set in main

    def log_message(self, fmt, *args):  # the JSON log replaces stderr noise
        pass

    def reply(self, status, body, extra=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def basic_credentials(self):
        auth = self.headers.get("Authorization", "")
        if not auth.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(auth[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return ("", "")
        return (user, password)

    def do_GET(self):
        args = self.state.args
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        service = query.get("service", [""])[0]
        scopes = split_scopes(query.get("scope", []))
        creds = self.basic_credentials()
        authorized = creds == (args.user, args.password)
        entry = {"path": url.path, "service": service, "scope": " ".join(scopes),
                 "scopes": scopes, "basic": creds is not None,
                 "user": creds[0] if creds else None, "authorized": authorized,
                 "granted": []}

        if url.path != "/token":
            entry["status"] = 404
            self.state.record(entry)
            return self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": url.path}]})
        if service != args.service:
            entry["status"] = 400
            self.state.record(entry)
            return self.reply(400, {"errors": [{"code": "BAD_REQUEST",
                                                "message": "unknown service %r" % service}]})
        if creds is not None and not authorized:
            entry["status"] = 401
            self.state.record(entry)
            return self.reply(401, {"errors": [{"code": "UNAUTHORIZED",
                                                "message": "incorrect username or password"}]},
                              [("WWW-Authenticate", 'Basic realm="ctr-test-token"')])

        granted = []
        for s in scopes:
            want = parse_scope(s)
            if want is None:
                continue
            if authorized:
                actions = want["actions"]
            elif args.anonymous_pull and want["type"] == "repository":
                actions = [a for a in want["actions"] if a == "pull"]
            else:
                actions = []
            if actions:
                granted.append({"type": want["type"], "name": want["name"], "actions": actions})

        now = int(time.time())
        claims = {"iss": args.issuer, "sub": creds[0] if authorized else "",
                  "aud": args.service, "exp": now + args.expires_in, "nbf": now - 10,
                  "iat": now, "jti": secrets.token_hex(16), "access": granted}
        try:
            token = self.state.sign(claims)
        except (subprocess.SubprocessError, OSError) as e:
            entry["status"] = 500
            self.state.record(entry)
            return self.reply(500, {"errors": [{"code": "UNKNOWN", "message": "signing: %s" % e}]})
        entry["granted"] = granted
        entry["status"] = 200
        self.state.record(entry)
        self.reply(200, {"token": token, "access_token": token, "expires_in": args.expires_in,
                         "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))})


def main(argv):
    args = parse_args(argv)
    Handler.state = State(args)
    return serve(Handler, args.max_seconds)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
