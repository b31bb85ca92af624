"""The registry service on reg-01: package, rendered config, secrets' modes, units."""
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
    assert config["storage"]["delete"]["enabled"] is True
    assert config["http"]["addr"] == ":5000"
    assert config["http"]["tls"] == {"certificate": "/etc/aiplatform/pki/registry.crt",
                                     "key": "/etc/aiplatform/pki/registry.key"}
    assert config["auth"]["htpasswd"]["path"] == "/etc/aiplatform/registry/htpasswd"
    assert "proxy" not in config


def test_secrets_are_private(host):
    key = host.file("/etc/aiplatform/pki/registry.key")
    assert key.mode == 0o600 and key.user == "docker-registry"
    htpasswd = host.file("/etc/aiplatform/registry/htpasswd")
    assert htpasswd.mode == 0o600 and htpasswd.user == "docker-registry"
    # bcrypt, as the registry requires; the password itself is nowhere on the node.
    assert htpasswd.content_string.startswith("pusher:$2")
    # The password is only in containerd's config (it pulls with it), which is 0600.
    assert host.run("grep -rl not-a-real-password-5 /etc /srv").stdout.split() == ["/etc/containerd/config.toml"]
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


def test_garbage_collection_frees_deleted_images(host):
    """Runs after test_client.py, which pushed an image and deleted its manifest."""
    blobs = "find /srv/registry/docker/registry/v2/blobs -type f -name data | wc -l"
    assert int(host.check_output(blobs)) > 0
    gc = host.run("systemctl start aiplatform-registry-gc.service")
    assert gc.rc == 0, gc.stderr
    assert int(host.check_output(blobs)) == 0
    assert host.service("docker-registry").is_running  # started again after the collection
