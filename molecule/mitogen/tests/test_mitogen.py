"""Real state after common and node_init ran under Mitogen over SSH on a node without python3-apt."""
import json


def test_node_init_installed_the_apt_bindings(host):
    assert host.package("python3-apt").is_installed
    assert host.run("/usr/bin/python3 -c 'import apt, apt_pkg'").rc == 0


def test_base_packages(host):
    for name in ("chrony", "conntrack", "jq", "nfs-common"):
        assert host.package(name).is_installed, name


def test_node_description(host):
    node = json.loads(host.file("/etc/aiplatform/node.json").content_string)
    assert (node["hostname"], node["ip"], node["cluster"]) == ("mtg-debian12", "172.31.246.11", "mtgtest")


def test_node_init_recorded_its_stage(host):
    record = host.file("/var/lib/aiplatform/stages/node_init.json")
    assert record.exists and record.mode == 0o600
    assert "python3-apt" in record.content_string
