"""containerd answers, and its rendered config says what the site's pull order says."""
import base64
import json
import os
import tomllib

LOCAL = "192.0.2.11:5000"


def toml(host, path):
    return tomllib.loads(host.file(path).content_string)


def test_containerd_answers(host):
    assert host.service("containerd").is_running
    version = host.run("ctr version")
    assert version.rc == 0 and "Server:" in version.stdout, version.stderr


def major(host):
    """containerd's major version (Ubuntu's -updates pockets carry 2.x, Debian 12 1.6)."""
    words = host.check_output("containerd --version").split()
    return int(words[2].lstrip("v").split(".")[0])


def test_config(host):
    config_file = host.file("/etc/containerd/config.toml")
    assert config_file.mode == 0o600  # holds registry credentials
    config = toml(host, "/etc/containerd/config.toml")
    if major(host) >= 2:
        assert config["version"] == 3
        images = config["plugins"]["io.containerd.cri.v1.images"]
        runtime = config["plugins"]["io.containerd.cri.v1.runtime"]
        assert images["pinned_images"]["sandbox"] == "registry.k8s.io/pause:3.10"
        assert runtime["containerd"]["runtimes"]["runc"]["options"]["SystemdCgroup"] is True
        registry = images["registry"]
    else:
        assert config["version"] == 2
        cri = config["plugins"]["io.containerd.grpc.v1.cri"]
        assert cri["sandbox_image"] == "registry.k8s.io/pause:3.10"
        assert cri["containerd"]["runtimes"]["runc"]["options"]["SystemdCgroup"] is True
        registry = cri["registry"]
    assert registry["config_path"] == "/etc/containerd/certs.d"
    assert registry["configs"]["harbor.corp.example:443"]["auth"]["username"] == "puller"
    # No credentials in the config: user aiplatform and the password generated on the control machine.
    assert registry["configs"][LOCAL]["auth"] == {"username": "aiplatform", "password": generated_password()}


def generated_password():
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "artifacts", "registry", "password")
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert oct(os.stat(os.path.dirname(path)).st_mode & 0o777) == "0o700"
    with open(path) as handle:
        password = handle.read().strip()
    assert len(password) == 32 and password.isalnum()
    return password


def test_kubelet_has_the_same_logins(host):
    login = host.file("/var/lib/kubelet/config.json")
    assert login.mode == 0o600 and login.user == "root"
    auths = json.loads(login.content_string)["auths"]
    assert base64.b64decode(auths[LOCAL]["auth"]).decode() == "aiplatform:" + generated_password()
    assert base64.b64decode(auths["harbor.corp.example:443"]["auth"]).decode() == "puller:not-a-real-password-4"
    assert not host.file("/root/.docker/config.json").exists  # containerd: no docker login


def test_containerd_loaded_the_config(host):
    # containerd itself parsed the file: what it runs with is what we rendered.
    dump = host.run("containerd config dump")
    assert dump.rc == 0, dump.stderr
    assert "/etc/containerd/certs.d" in dump.stdout and "SystemdCgroup = true" in dump.stdout


def test_pull_order_for_docker_io(host):
    hosts = toml(host, "/etc/containerd/certs.d/docker.io/hosts.toml")
    assert hosts["server"] == "https://registry-1.docker.io"
    # The local registry keeps docker.io's images under docker.io/ (override_path: the URL holds /v2/).
    local = "https://%s/v2/docker.io" % LOCAL
    assert list(hosts["host"]) == [local, "https://harbor.corp.example:443", "https://mirror.corp.example"]
    assert hosts["host"][local]["ca"] == "/etc/containerd/certs.d/%s/ca.crt" % LOCAL
    assert hosts["host"][local]["override_path"] is True
    assert "override_path" not in hosts["host"]["https://harbor.corp.example:443"]
    assert all(h["capabilities"] == ["pull", "resolve"] for h in hosts["host"].values())


def test_pull_order_for_k8s_images(host):
    hosts = toml(host, "/etc/containerd/certs.d/registry.k8s.io/hosts.toml")
    assert hosts["server"] == "https://registry.k8s.io"
    assert list(hosts["host"]) == ["https://%s/v2/registry.k8s.io" % LOCAL]


def test_registry_ca(host):
    ca = host.file("/etc/containerd/certs.d/%s/ca.crt" % LOCAL)
    assert ca.exists and "BEGIN CERTIFICATE" in ca.content_string


def test_secret_not_in_world_readable_files(host):
    out = host.run("grep -rl not-a-real-password-4 /etc/containerd").stdout.split()
    assert out == ["/etc/containerd/config.toml"]
