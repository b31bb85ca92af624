"""containerd answers, and its rendered config says what the site's pull order says."""
import tomllib

LOCAL = "192.0.2.11:5000"


def toml(host, path):
    return tomllib.loads(host.file(path).content_string)


def test_containerd_answers(host):
    assert host.service("containerd").is_running
    version = host.run("ctr version")
    assert version.rc == 0 and "Server:" in version.stdout, version.stderr


def test_config(host):
    config_file = host.file("/etc/containerd/config.toml")
    assert config_file.mode == 0o600  # holds registry credentials
    config = toml(host, "/etc/containerd/config.toml")
    cri = config["plugins"]["io.containerd.grpc.v1.cri"]
    assert config["version"] == 2
    assert cri["sandbox_image"] == "registry.k8s.io/pause:3.10"
    assert cri["containerd"]["runtimes"]["runc"]["options"]["SystemdCgroup"] is True
    assert cri["registry"]["config_path"] == "/etc/containerd/certs.d"
    assert cri["registry"]["configs"]["harbor.corp.example:443"]["auth"]["username"] == "puller"


def test_pull_order_for_docker_io(host):
    hosts = toml(host, "/etc/containerd/certs.d/docker.io/hosts.toml")
    assert hosts["server"] == "https://registry-1.docker.io"
    assert list(hosts["host"]) == ["https://" + LOCAL, "https://harbor.corp.example:443", "https://mirror.corp.example"]
    assert hosts["host"]["https://" + LOCAL]["ca"] == "/etc/containerd/certs.d/%s/ca.crt" % LOCAL
    assert all(h["capabilities"] == ["pull", "resolve"] for h in hosts["host"].values())


def test_pull_order_for_k8s_images(host):
    hosts = toml(host, "/etc/containerd/certs.d/registry.k8s.io/hosts.toml")
    assert hosts["server"] == "https://registry.k8s.io"
    assert list(hosts["host"]) == ["https://" + LOCAL]


def test_registry_ca(host):
    ca = host.file("/etc/containerd/certs.d/%s/ca.crt" % LOCAL)
    assert ca.exists and "BEGIN CERTIFICATE" in ca.content_string


def test_secret_not_in_world_readable_files(host):
    out = host.run("grep -rl not-a-real-password-4 /etc/containerd").stdout.split()
    assert out == ["/etc/containerd/config.toml"]
