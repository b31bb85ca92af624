"""The nodes could not reach the outside, and still got every package and image: from the
bundle's repository and the site registry on off-repo-01."""
import socket

import pytest

REPO = "http://172.31.243.11:8480"
UPSTREAM, UPSTREAM_APT_PORT = "172.31.244.10", 8080
CREDS = "pusher:not-a-real-password-6"


def test_no_route_out(host):
    # A check that fails when the node can reach the outside: its own OS archive (the URL the
    # image came with, kept in the backup of sources.list) and public addresses must not answer.
    backups = host.run("cat /etc/apt/sources.list.*~").stdout.split()
    archives = sorted({w.split("/")[2] for w in backups if w.startswith("http")})
    assert archives, "no backup of the original sources.list"
    targets = [(name, 80) for name in archives] + [("1.1.1.1", 443), ("8.8.8.8", 53)]
    for address, port in targets:
        probe = host.run("timeout 8 python3 -c \"import socket; socket.create_connection(('%s', %d), 3)\""
                         % (address, port))
        assert probe.rc != 0, "%s:%d answered from inside the air gap" % (address, port)


def test_nodes_cannot_reach_the_stand_in_upstream(host):
    # The bundle was built from the stand-in upstreams (molecule/offline/vars/standin.yml): the control machine
    # reaches them (this test runs there), the nodes have no route to them.
    for port in (UPSTREAM_APT_PORT, 5001, 5002, 5003):
        socket.create_connection((UPSTREAM, port), 5).close()
        probe = host.run("timeout 8 python3 -c \"import socket; socket.create_connection(('%s', %d), 3)\""
                         % (UPSTREAM, port))
        assert probe.rc != 0, "the stand-in upstream %s:%d answered from inside the air gap" % (UPSTREAM, port)


def test_apt_reads_only_the_bundle(host):
    sources = host.run("apt-get indextargets --format '$(URI)'").stdout.split()
    assert sources and all(uri.startswith(REPO + "/debian12-amd64/") for uri in sources), sources
    assert host.file("/etc/apt/keyrings/aiplatform-offline.asc").contains("BEGIN PGP PUBLIC KEY BLOCK")


@pytest.mark.parametrize("package", ["containerd", "chrony", "conntrack", "ca-certificates"])
def test_packages_came_from_the_bundle(host, package):
    assert host.package(package).is_installed
    policy = host.check_output("apt-cache policy %s", package)
    assert REPO + "/debian12-amd64" in policy, policy


def test_bundle_repository_is_signed(host):
    update = host.run("apt-get update -o Debug::NoLocking=1")
    assert update.rc == 0 and "NO_PUBKEY" not in update.stderr and "not signed" not in update.stderr, update.stderr


def test_images_come_from_the_site_registry(host):
    pull = host.run("ctr -n verify images pull --hosts-dir /etc/containerd/certs.d --user %s "
                    "docker.io/aiplatform/hello:1", CREDS)
    assert pull.rc == 0, pull.stderr
    # Images the bundle took from the stand-in registries, pulled under their upstream names from the site
    # registry (the nodes cannot reach the stand-ins: above).
    for ref in ("registry.k8s.io/pause:3.10", "registry.k8s.io/kube-apiserver:v1.31.4",
                "ghcr.io/flannel-io/flannel:v0.27.4"):
        pull = host.run("ctr -n verify images pull --hosts-dir /etc/containerd/certs.d --user %s %s", CREDS, ref)
        assert pull.rc == 0, pull.stderr


def test_kubernetes_packages_came_from_the_bundle_pinned_and_held(host):
    for name in ("kubeadm", "kubelet", "kubectl"):
        assert host.check_output(name) == "%s v1.31.4" % name  # the stand-in prints its version
        policy = host.check_output("apt-cache policy %s", name)
        assert "Installed: 1.31.4-1.1" in policy and REPO + "/debian12-amd64" in policy, policy
    # The stand-in repository also carries kubeadm 1.31.0: the bundle took the pinned version only.
    assert "1.31.0" not in host.check_output("apt-cache madison kubeadm")
    for name in ("cri-tools", "kubernetes-cni"):
        assert host.package(name).is_installed
    held = host.check_output("apt-mark showhold").split()
    assert {"kubeadm", "kubelet", "kubectl", "cri-tools"} <= set(held), held
