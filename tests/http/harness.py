"""HTTP test harness: starts the real `guichet serve` on a random loopback
port with a fresh data directory, and gives tests a small browser-like
client (cookies, CSRF token taken from the last form, multipart uploads).

Only the Python standard library is used, so the suite runs on a fresh
Debian machine with python3 alone.
"""
import base64
import hashlib
import hmac
import html
import http.client
import json
import os
import re
import shutil
import socket
import sqlite3
import struct
import subprocess
import tempfile
import time
import urllib.parse
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("GUICHET_BIN", os.path.join(ROOT, "build", "guichet"))
if not os.path.isabs(BIN):
    BIN = os.path.join(ROOT, BIN)
# The list is built beside the binary (build/ or build-asan/).
PASSWORDS = os.path.join(os.path.dirname(BIN), "common-passwords.txt")

GOOD_PASSWORD = "Correct-Horse-42!"


class Server:
    """One guichet process with its own data directory."""

    def __init__(self, **config):
        self.dir = tempfile.mkdtemp(prefix="guichet-http-")
        self.env = dict(os.environ)
        self.env.update({
            "GUICHET_DATA_DIR": self.dir,
            "GUICHET_PORT": "0",
            "GUICHET_SEED": "0",
            "GUICHET_ACCESS_LOG": "0",
            "GUICHET_PASSWORDS_FILE": PASSWORDS,
            "GUICHET_THREADS": "2",
            "GUICHET_CONFIG": os.path.join(self.dir, "none.conf"),
        })
        open(self.env["GUICHET_CONFIG"], "w").close()
        for k, v in config.items():
            self.env["GUICHET_" + k.upper()] = str(v)
        self.log = open(os.path.join(self.dir, "server.log"), "w+")
        self.proc = subprocess.Popen([BIN, "serve"], cwd=ROOT, env=self.env,
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = ""
        deadline = time.time() + 20
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            if m:
                self.port = int(m.group(1))
                break
            if self.proc.poll() is not None:
                break
        else:
            raise RuntimeError("server did not start")
        if not getattr(self, "port", None):
            self.log.seek(0)
            raise RuntimeError("server did not start: " + line + self.log.read())
        self.db_path = os.path.join(self.dir, "guichet.db")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def client(self):
        return Client(self)

    # -- direct reads of the database, as a test would check "the row" --
    def sql(self, query, *args):
        con = sqlite3.connect(self.db_path, timeout=10)
        try:
            rows = con.execute(query, args).fetchall()
            con.commit()
            return rows
        finally:
            con.close()

    def sql1(self, query, *args):
        rows = self.sql(query, *args)
        return rows[0][0] if rows else None

    def cli(self, *args):
        return subprocess.run([BIN] + list(args), cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=60)

    def add_user(self, email, *roles, password=GOOD_PASSWORD):
        argv = ["user", "add", email, "--password", password]
        for r in roles:
            argv += ["--role", r]
        res = self.cli(*argv)
        assert res.returncode == 0, res.stderr
        return int(res.stdout.split()[1])

    def token(self, email, name="tests"):
        """A new API token for an active account (guichet token add)."""
        res = self.cli("token", "add", email, name)
        assert res.returncode == 0, res.stderr
        return res.stdout.strip()

    def api(self, method, path, token=None, body=None, headers=None):
        """A cookie-less API call; body (a dict or list) is sent as JSON."""
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        return Client(self).request(method, path, body=data, headers=h)

    def mails(self, to):
        """Outbox messages to an address, newest first (subject, body)."""
        deadline = time.time() + 5
        while True:
            rows = self.sql("SELECT subject, body FROM outbox WHERE to_addr=? ORDER BY id DESC", to)
            if rows or time.time() > deadline:
                return rows
            time.sleep(0.05)

    def link_in_last_mail(self, to, pattern):
        rows = self.mails(to)
        assert rows, "no mail to " + to
        m = re.search(r"https?://[^/\s]+(" + pattern + r"[^\s]*)", rows[0][1])
        assert m, "no link matching %s in: %s" % (pattern, rows[0][1])
        return m.group(1)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (name, value)
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<Response %d %s>" % (self.status, self.text[:300])


class Client:
    """A browser-like client: keeps cookies, remembers the last CSRF token."""

    def __init__(self, server):
        self.server = server
        self.cookies = {}
        self.csrf = None

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        h = {"Host": "127.0.0.1:%d" % self.server.port}
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        if headers:
            h.update(headers)
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            headers_list = r.getheaders()
        finally:
            conn.close()
        for k, v in headers_list:
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                value = rest.split(";", 1)[0]
                if "Max-Age=0" in v:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
        resp = Response(r.status, headers_list, data)
        m = re.search(rb'name="_csrf" value="([^"]+)"', data)
        if m:
            self.csrf = m.group(1).decode()
        return resp

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post(self, path, fields=None, files=None, csrf=True, headers=None, origin=True):
        fields = dict(fields or {})
        if csrf and "_csrf" not in fields:
            if self.csrf is None:
                self.get("/connexion" if not self.cookies.get("gsid") else "/compte")
            fields["_csrf"] = self.csrf
        h = dict(headers or {})
        if origin:
            h.setdefault("Origin", "http://127.0.0.1:%d" % self.server.port)
        if files:
            body, ctype = multipart(fields, files)
        else:
            body = urllib.parse.urlencode(fields, doseq=True).encode()
            ctype = "application/x-www-form-urlencoded"
        h.setdefault("Content-Type", ctype)
        return self.request("POST", path, body=body, headers=h)

    def login(self, email, password=GOOD_PASSWORD, totp_secret=None):
        self.get("/connexion")
        r = self.post("/connexion", {"email": email, "password": password})
        assert r.status == 303, r
        if totp_secret:
            self.get("/connexion/2fa")
            r = self.post("/connexion/2fa", {"code": totp(totp_secret)})
            assert r.status == 303, r
        self.get("/compte")  # as a browser would: the page gives the session's form token
        return r


class People:
    """A test module's accounts, one per role: created on first use, each
    with a logged-in client kept between tests (and logged in again if its
    session ended). people = People({"instructor": "i@exemple.fr", …});
    people.client(srv, "instructor"), people.id(srv, "instructor"). A value
    may also be (email, role), for several accounts of one role:
    People({"operator_b": ("b@exemple.fr", "operator")})."""

    def __init__(self, emails):
        self.accounts = {k: v if isinstance(v, tuple) else (v, k) for k, v in emails.items()}
        self.emails = {k: v[0] for k, v in self.accounts.items()}
        self.ids = {}
        self.clients = {}

    def id(self, srv, role):
        if not self.ids:
            for k, (email, r) in self.accounts.items():
                self.ids[k] = srv.add_user(email, r)
        return self.ids[role]

    def client(self, srv, role):
        self.id(srv, role)
        c = self.clients.get(role)
        if c is None or c.get("/compte").status != 200:
            c = srv.client()
            c.login(self.emails[role])
            self.clients[role] = c
        return c


def text_of(r):
    """A page (a Response or HTML text) as a user reads it: tags dropped,
    entities decoded, runs of spaces (no-break ones too) as one space."""
    t = html.unescape(re.sub(r"<[^>]+>", " ", r if isinstance(r, str) else r.text))
    return re.sub(r"\s+", " ", t.replace("\u00a0", " "))


def multipart(fields, files):
    boundary = "----guichet" + uuid.uuid4().hex
    out = []
    for k, v in fields.items():
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n" % (boundary, k)).encode())
        out.append(str(v).encode() + b"\r\n")
    for k, (filename, data, ctype) in files.items():
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                    "Content-Type: %s\r\n\r\n" % (boundary, k, filename, ctype)).encode())
        out.append(data + b"\r\n")
    out.append(("--%s--\r\n" % boundary).encode())
    return b"".join(out), "multipart/form-data; boundary=" + boundary


def totp(secret_b32, t=None, step_offset=0):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((t or time.time()) // 30) + step_offset
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    o = mac[-1] & 15
    code = (struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000
    return "%06d" % code


# Smallest valid files of each type, made here (no fixture needed).
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def raw_request(port, data, read=True, timeout=10):
    """Sends raw bytes and returns the raw answer (for malformed requests)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        if not read:
            return b""
        chunks = []
        while True:
            try:
                c = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break  # a server that refuses early may reset after answering
            if not c:
                break
            chunks.append(c)
        return b"".join(chunks)
    finally:
        s.close()
