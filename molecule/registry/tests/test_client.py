"""From client-01 (another OS, trusting the site CA): push, pull through the runtime's pull
order (CRI, as kubelet pulls), catalog, refusals (anonymous calls, deletes), against the real
registry on reg-01, with the credentials generated on the control machine."""
import json
import os

import pytest

testinfra_hosts = ["client-01"]

REGISTRY = "172.31.242.11:5000"
PASSWORD_FILE = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "artifacts", "registry", "password")


def generated_password():
    with open(PASSWORD_FILE) as handle:
        return handle.read().strip()


CREDS = "aiplatform:" + generated_password()
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


def test_the_password_was_generated_once_and_kept_private():
    assert oct(os.stat(PASSWORD_FILE).st_mode & 0o777) == "0o600"
    assert oct(os.stat(os.path.dirname(PASSWORD_FILE)).st_mode & 0o777) == "0o700"
    password = generated_password()
    assert len(password) == 32 and password.isalnum()


@pytest.mark.parametrize("method, path", [
    ("GET", "/v2/"),
    ("GET", "/v2/_catalog"),
    ("GET", "/v2/docker.io/aiplatform/hello/manifests/1"),  # anonymous pull
    ("POST", "/v2/docker.io/aiplatform/hello/blobs/uploads/"),  # anonymous push
])
def test_anonymous_calls_get_401(host, method, path):
    status, headers, _ = api(host, method, path, creds=False)
    assert status == 401 and "Basic" in headers.get("Www-Authenticate", "")


def test_a_wrong_password_gets_401(host):
    status, _, _ = api(host, "GET", "/v2/_catalog", creds=False, headers={
        "Authorization": "Basic YWlwbGF0Zm9ybTp3cm9uZw=="})  # aiplatform:wrong
    assert status == 401


def test_plain_http_is_refused(host):
    out = host.run("python3 -c \"import urllib.request;urllib.request.urlopen('http://%s/v2/',timeout=10)\"", REGISTRY)
    assert out.rc != 0


def test_push_shows_in_the_catalog(host, pushed):
    status, _, body = api(host, "GET", "/v2/_catalog")
    assert status == 200 and "docker.io/aiplatform/hello" in json.loads(body)["repositories"]


def test_pull_through_the_runtime_pull_order(host, pushed):
    # docker.io/... resolves through /etc/containerd/certs.d/docker.io/hosts.toml: the local registry
    # first. The CRI call carries no credentials (as kubelet's, without a login): containerd
    # authenticates with its config.toml. Nothing here reaches docker.io, so success means the site
    # registry served it with the generated credentials.
    pull = host.run("python3 /usr/local/bin/cri_pull.py %s", IMAGE)
    assert pull.rc == 0, pull.stderr
    assert pull.stdout.strip().startswith("sha256:")
    assert IMAGE in host.check_output("ctr -n k8s.io images ls -q")


def test_kubelet_and_containerd_hold_the_generated_credentials(host):
    import base64

    login = host.file("/var/lib/kubelet/config.json")
    assert login.mode == 0o600
    auth = json.loads(login.content_string)["auths"][REGISTRY]["auth"]
    assert base64.b64decode(auth).decode() == CREDS
    assert host.file("/etc/containerd/config.toml").mode == 0o600


def test_deletes_are_refused(host, pushed):
    accept = {"Accept": "application/vnd.oci.image.manifest.v1+json"}
    status, headers, _ = api(host, "HEAD", "/v2/docker.io/aiplatform/hello/manifests/1", headers=accept)
    assert status == 200
    digest = headers["Docker-Content-Digest"]
    status, _, body = api(host, "DELETE", "/v2/docker.io/aiplatform/hello/manifests/" + digest)
    assert status == 405, body  # UNSUPPORTED: storage.delete.enabled is false
    status, _, _ = api(host, "GET", "/v2/docker.io/aiplatform/hello/manifests/1", headers=accept)
    assert status == 200
    # test_server.py (it runs after this file) removes the image as docs/registry.md tells an admin,
    # collects the garbage on reg-01 and checks the blobs are gone.
