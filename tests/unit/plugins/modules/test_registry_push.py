"""registry_push as Ansible runs it, against an in-process registry speaking the Distribution API."""
import base64
import hashlib
import http.server
import json
import os
import re
import sys
import tarfile
import threading

import pytest
from module_run import run_module_file

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))

import oci_image  # noqa: E402

AUTH = "Basic " + base64.b64encode(b"pusher:secret").decode()


class Registry(http.server.BaseHTTPRequestHandler):
    blobs, manifests, uploads = {}, {}, []

    def log_message(self, *_args):
        pass

    def reply(self, code, headers=None, body=b""):
        self.send_response(code)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def authorized(self):
        if self.headers.get("Authorization") != AUTH:
            self.reply(401, {"Www-Authenticate": 'Basic realm="test"'})
            return False
        return True

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def do_GET(self):
        if self.authorized():
            self.reply(200, body=b"{}")

    def do_HEAD(self):
        if not self.authorized():
            return
        m = re.match(r"^/v2/(.+)/(blobs|manifests)/([^/?]+)$", self.path)
        store = self.blobs if m.group(2) == "blobs" else self.manifests
        key = (m.group(1), m.group(3))
        if key in store:
            self.reply(200, {"Docker-Content-Digest": store[key][0]})
        else:
            self.reply(404)

    def do_POST(self):
        if self.authorized():
            name = re.match(r"^/v2/(.+)/blobs/uploads/$", self.path).group(1)
            self.reply(202, {"Location": "/v2/%s/blobs/uploads/u%d" % (name, len(self.uploads))})

    def do_PUT(self):
        if not self.authorized():
            return
        data = self.body()
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        upload = re.match(r"^/v2/(.+)/blobs/uploads/[^?]+\?digest=(.+)$", self.path)
        if upload:
            wanted = upload.group(2).replace("%3A", ":")
            if wanted != digest:
                return self.reply(400)
            self.uploads.append(digest)
            self.blobs[(upload.group(1), digest)] = (digest, data)
            return self.reply(201)
        m = re.match(r"^/v2/(.+)/manifests/(.+)$", self.path)
        manifest = json.loads(data)
        for blob in [manifest.get("config")] + manifest.get("layers", []):
            if blob and (m.group(1), blob["digest"]) not in self.blobs:
                return self.reply(400)  # a manifest whose blobs are missing is refused, as a registry does
        self.manifests[(m.group(1), m.group(2))] = (digest, data)
        self.manifests[(m.group(1), digest)] = (digest, data)
        self.reply(201)


@pytest.fixture()
def registry():
    Registry.blobs, Registry.manifests, Registry.uploads = {}, {}, []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Registry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.1:%d" % server.server_address[1]
    server.shutdown()


@pytest.fixture()
def layout(tmp_path):
    archive = tmp_path / "hello.tar"
    oci_image.build(str(archive), "docker.io/aiplatform/hello:1", "hello\n")
    directory = tmp_path / "layout"
    with tarfile.open(archive) as tar:
        tar.extractall(directory)
    return str(directory)


def push(layout, registry, tmp_path, check=False, password="secret", ref="docker.io/aiplatform/hello:1"):
    args = {"layout": layout, "registry": registry, "tls": False, "username": "pusher", "password": password,
            "images": [{"ref": ref, "repository": "docker.io/aiplatform/hello", "tag": "1"}],
            "_ansible_check_mode": check}
    return run_module_file("registry_push", args, tmp_path)


def test_push_then_nothing_to_do(layout, registry, tmp_path):
    first = push(layout, registry, tmp_path)
    assert first["changed"] is True and first["pushed"] == ["docker.io/aiplatform/hello:1"]
    assert ("docker.io/aiplatform/hello", "1") in Registry.manifests
    assert len(Registry.uploads) == 2  # config and layer
    second = push(layout, registry, tmp_path)
    assert second["changed"] is False and second["present"] == ["docker.io/aiplatform/hello:1"]
    assert len(Registry.uploads) == 2  # nothing sent again


def test_check_mode_pushes_nothing(layout, registry, tmp_path):
    result = push(layout, registry, tmp_path, check=True)
    assert result["changed"] is True and result["pushed"] == ["docker.io/aiplatform/hello:1"]
    assert Registry.manifests == {} and Registry.uploads == []


def test_wrong_password_is_a_clear_error(layout, registry, tmp_path):
    result = push(layout, registry, tmp_path, password="wrong")
    assert result["failed"] is True and "refused the credentials (HTTP 401" in result["msg"]
    assert "wrong" not in json.dumps(result)


def test_image_missing_from_the_layout(layout, registry, tmp_path):
    result = push(layout, registry, tmp_path, ref="docker.io/aiplatform/absent:2")
    assert result["failed"] is True and "lacks docker.io/aiplatform/absent:2" in result["msg"]


def test_password_with_quotes_backslashes_and_dollars(layout, registry, tmp_path, monkeypatch):
    password = 'pa"ss\\wo$rd ${HOME} ü'
    monkeypatch.setattr(sys.modules[__name__], "AUTH",
                        "Basic " + base64.b64encode(("pusher:" + password).encode()).decode())
    assert push(layout, registry, tmp_path, password="secret").get("failed")  # the old password no longer works
    result = push(layout, registry, tmp_path, password=password)
    assert result["changed"] is True and result["pushed"] == ["docker.io/aiplatform/hello:1"], result
