"""From client-01 (another OS, trusting the site CA): push, pull through the runtime's pull
order, catalog, deletion and garbage collection, against the real registry on reg-01."""
import json

import pytest

testinfra_hosts = ["client-01"]

REGISTRY = "172.31.242.11:5000"
CREDS = "pusher:not-a-real-password-5"
IMAGE = "docker.io/aiplatform/hello:1"          # as workloads name it
STORED = REGISTRY + "/docker.io/aiplatform/hello:1"  # where the local registry keeps it


def api(host, method, path, creds=True, headers=None):
    """(status, headers, body) of a registry API call, with the OS trust store (the site CA)."""
    script = (
        "import base64,json,sys,urllib.request,urllib.error\n"
        "m,u,c,h=sys.argv[1:5]\n"
        "r=urllib.request.Request(u,method=m,headers=json.loads(h))\n"
        "c and r.add_header('Authorization','Basic '+base64.b64encode(c.encode()).decode())\n"
        "try:\n  x=urllib.request.urlopen(r,timeout=20)\n"
        "except urllib.error.HTTPError as e:\n  x=e\n"
        "print(json.dumps([x.status,dict(x.headers),x.read().decode()]))\n"
    )
    out = host.check_output("python3 -c %s %s %s %s %s", script, method, "https://%s%s" % (REGISTRY, path),
                            CREDS if creds else "", json.dumps(headers or {}))
    return json.loads(out)


@pytest.fixture(scope="module")
def pushed(host):
    host.check_output("python3 /usr/local/bin/oci_image.py /tmp/hello.tar %s", IMAGE)
    host.check_output("ctr -n verify images import /tmp/hello.tar")
    host.check_output("ctr -n verify images tag --force %s %s", IMAGE, STORED)
    push = host.run("ctr -n verify images push --user %s %s", CREDS, STORED)
    assert push.rc == 0, push.stderr
    host.check_output("ctr -n verify images rm %s %s", IMAGE, STORED)
    return True


def test_the_site_ca_is_trusted(host):
    assert host.file("/usr/local/share/ca-certificates/aiplatform-site-ca.crt").exists
    assert host.file("/etc/containerd/certs.d/%s/ca.crt" % REGISTRY).exists
    status, _, _ = api(host, "GET", "/v2/")
    assert status == 200


def test_auth_is_required(host):
    status, headers, _ = api(host, "GET", "/v2/_catalog", creds=False)
    assert status == 401 and "Basic" in headers.get("Www-Authenticate", "")


def test_plain_http_is_refused(host):
    out = host.run("python3 -c \"import urllib.request;urllib.request.urlopen('http://%s/v2/',timeout=10)\"", REGISTRY)
    assert out.rc != 0


def test_push_shows_in_the_catalog(host, pushed):
    status, _, body = api(host, "GET", "/v2/_catalog")
    assert status == 200 and "docker.io/aiplatform/hello" in json.loads(body)["repositories"]


def test_pull_through_the_runtime_pull_order(host, pushed):
    # docker.io/... resolves through /etc/containerd/certs.d/docker.io/hosts.toml: the local
    # registry first. Nothing here reaches docker.io, so success means the site registry served it.
    pull = host.run("ctr -n verify images pull --hosts-dir /etc/containerd/certs.d --user %s %s", CREDS, IMAGE)
    assert pull.rc == 0, pull.stderr
    assert IMAGE in host.check_output("ctr -n verify images ls -q")


def test_delete_and_garbage_collection(host, pushed):
    accept = {"Accept": "application/vnd.oci.image.manifest.v1+json"}
    status, headers, _ = api(host, "HEAD", "/v2/docker.io/aiplatform/hello/manifests/1", headers=accept)
    assert status == 200
    digest = headers["Docker-Content-Digest"]
    status, _, _ = api(host, "DELETE", "/v2/docker.io/aiplatform/hello/manifests/" + digest)
    assert status == 202
    status, _, _ = api(host, "GET", "/v2/docker.io/aiplatform/hello/manifests/1", headers=accept)
    assert status == 404
    # test_server.py (it runs after this file) collects the garbage on reg-01 and checks the blobs are gone.
