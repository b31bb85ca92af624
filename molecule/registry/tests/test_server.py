"""The registry service on reg-01: package, rendered config, secrets' modes, units, listening sockets."""
import os

import yaml

testinfra_hosts = ["reg-01"]


def test_registry_runs_our_config(host):
    assert host.package("docker-registry").is_installed
    service = host.service("docker-registry")
    assert service.is_running and service.is_enabled
    cmdline = host.run("systemctl show -p ExecStart --value docker-registry").stdout
    assert "/etc/aiplatform/registry/config.yml" in cmdline


def test_config(host):
    config = yaml.safe_load(host.file("/etc/aiplatform/registry/config.yml").content_string)
    assert config["storage"]["filesystem"]["rootdirectory"] == "/srv/registry"
    assert config["storage"]["delete"]["enabled"] is False
    assert config["http"]["addr"] == "172.31.242.11:5000"
    assert config["http"]["tls"] == {"certificate": "/etc/aiplatform/pki/registry.crt",
                                     "key": "/etc/aiplatform/pki/registry.key"}
    assert config["auth"]["htpasswd"]["path"] == "/etc/aiplatform/registry/htpasswd"
    assert "proxy" not in config


def test_listens_on_the_node_address_only(host):
    listening = host.check_output("ss -Hltn").split("\n")
    local = [line.split()[3] for line in listening if line.split()[3].endswith(":5000")]
    assert local == ["172.31.242.11:5000"], listening
    assert not [line for line in listening if line.split()[3].endswith(":5001")]  # no anonymous view asked for


def test_secrets_are_private(host):
    key = host.file("/etc/aiplatform/pki/registry.key")
    assert key.mode == 0o600 and key.user == "docker-registry"
    htpasswd = host.file("/etc/aiplatform/registry/htpasswd")
    assert htpasswd.mode == 0o600 and htpasswd.user == "docker-registry"
    # bcrypt, as the registry requires, for the default user; the password itself is not on the registry
    # side of the node, only in containerd's config (0600; reg-01 is a cluster node too).
    assert htpasswd.content_string.startswith("aiplatform:$2")
    with open(os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "artifacts", "registry", "password")) as handle:
        password = handle.read().strip()
    assert host.run("grep -rl %s /etc /srv /var/lib/kubelet", password).stdout.split() == ["/etc/containerd/config.toml"]
    assert host.file("/etc/containerd/config.toml").mode == 0o600


def test_certificate_names_the_node_and_chains_to_the_site_ca(host):
    text = host.run("openssl x509 -noout -text -in /etc/aiplatform/pki/registry.crt").stdout
    assert "IP Address:172.31.242.11" in text and "DNS:reg-01.regtest.internal" in text
    verify = host.run("openssl verify -CAfile /etc/aiplatform/pki/ca.crt /etc/aiplatform/pki/registry.crt")
    assert verify.rc == 0, verify.stdout + verify.stderr


def test_garbage_collection_is_scheduled(host):
    timer = host.service("aiplatform-registry-gc.timer")
    assert timer.is_enabled and timer.is_running
    assert "OnCalendar=Sun *-*-* 03:00:00" in host.file("/etc/systemd/system/aiplatform-registry-gc.timer").content_string


def test_an_admin_removes_an_image_through_the_garbage_collection(host):
    """Runs after test_client.py, which pushed an image (and saw the API refuse to delete it).
    docs/registry.md: remove the tag on disk, then run the collection."""
    blobs = "find /srv/registry/docker/registry/v2/blobs -type f -name data | wc -l"
    assert int(host.check_output(blobs)) > 0
    tag = "/srv/registry/docker/registry/v2/repositories/docker.io/aiplatform/hello/_manifests/tags/1"
    assert host.file(tag).is_directory
    host.check_output("rm -r %s", tag)
    gc = host.run("systemctl start aiplatform-registry-gc.service")
    assert gc.rc == 0, gc.stderr
    assert int(host.check_output(blobs)) == 0
    assert host.service("docker-registry").is_running  # started again after the collection
