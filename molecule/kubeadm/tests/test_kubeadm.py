"""What role kubeadm leaves on the nodes, and what its lifecycle would do (check mode; no Kubernetes
package or image is reachable in this workplace, docs/kubeadm.md)."""
import functools
import json
import os
import re
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROJECT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(PROJECT, ".collections"))  # the collection, as molecule's Ansible sees it
sys.path.insert(0, os.path.join(PROJECT, "tests", "support"))  # the playbook runner shared by the verifiers

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import kubeadm_schema  # noqa: E402
from molecule_playbook import flat as _flat, run_playbook as _apply  # noqa: E402

FIRST = "kube-cp-01"
CONTROL_PLANE = {"kube-cp-01": "192.0.2.21", "kube-cp-02": "192.0.2.22"}


def _name(host):
    return host.backend.get_hostname()


@functools.lru_cache(maxsize=None)
def _playbook(playbook, *extra):
    """Run a playbook against the scenario's nodes in check mode, once per arguments; (rc, output)."""
    return _apply(playbook, "--check", *extra)


def _recap(output):
    return dict((m.group(1), (int(m.group(2)), int(m.group(3))))
                for m in re.finditer(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=0\s+failed=0", output, re.M))


def test_local_api_proxy_runs_on_every_node(host):
    config = host.file("/etc/haproxy/haproxy.cfg")
    assert config.mode == 0o644
    servers = re.findall(r"^\s+server (\S+) (\S+) check check-ssl verify none", config.content_string, re.M)
    assert servers == [(name, ip + ":6443") for name, ip in sorted(CONTROL_PLANE.items())]
    assert "bind 127.0.0.1:6444" in config.content_string
    assert host.service("haproxy").is_running and host.service("haproxy").is_enabled
    assert host.socket("tcp://127.0.0.1:6444").is_listening
    assert not host.socket("tcp://0.0.0.0:6444").is_listening


def test_artifacts_directory_is_private(host):
    # The first control-plane node renders the kubeadm config there; the other nodes get the directory from the
    # lifecycle (a join holds kubeadm-join.yaml there), which this scenario's converge leaves off.
    directory = host.file("/etc/aiplatform/kubernetes")
    if _name(host) != FIRST:
        assert not directory.exists
        return
    assert directory.is_directory and directory.mode == 0o700 and directory.user == "root"


def test_kubeadm_config_only_on_the_first_control_plane(host):
    config = host.file("/etc/aiplatform/kubernetes/kubeadm-init.yaml")
    if _name(host) != FIRST:
        assert not config.exists
        return
    assert config.mode == 0o600 and config.user == "root"
    docs = list(yaml.safe_load_all(config.content_string))
    assert [d["kind"] for d in docs] == ["InitConfiguration", "ClusterConfiguration", "KubeletConfiguration",
                                        "KubeProxyConfiguration"]
    assert kubeadm_schema.validate_documents(docs, "v1beta4", "1.31.4") == []
    init, cluster, kubelet, proxy = docs
    assert init["apiVersion"] == "kubeadm.k8s.io/v1beta4"
    assert init["nodeRegistration"]["name"] == FIRST
    assert init["nodeRegistration"]["taints"] == []  # control_plane + worker: schedulable
    assert init["localAPIEndpoint"] == {"advertiseAddress": "192.0.2.21", "bindPort": 6443}
    assert cluster["kubernetesVersion"] == "v1.31.4"
    assert cluster["controlPlaneEndpoint"] == "127.0.0.1:6444"
    assert cluster["networking"] == {"podSubnet": "10.244.0.0/16", "serviceSubnet": "10.96.0.0/12",
                                     "dnsDomain": "cluster.local"}
    assert {"name": "service-node-port-range", "value": "30000-49999"} in cluster["apiServer"]["extraArgs"]
    sans = cluster["apiServer"]["certSANs"]
    for wanted in ("kube-cp-01", "kube-cp-02", "192.0.2.21", "192.0.2.22", "kube-cp-01.kubetest.internal",
                   "kubetest.kubetest.internal", "127.0.0.1"):
        assert wanted in sans
    assert kubelet["cgroupDriver"] == "systemd"
    assert proxy["mode"] == "ipvs" and proxy["clusterCIDR"] == "10.244.0.0/16"
    # No token is written into the init config: joins get fresh short-lived ones.
    assert "bootstrapTokens" not in init


def test_pod_network_manifest_rendered_on_the_first_control_plane(host):
    """Flannel (cluster.cni) rendered from the config, valid for the cluster's Kubernetes API."""
    manifest = host.file("/etc/aiplatform/manifests/cni/flannel.yaml")
    if _name(host) != FIRST:
        assert not manifest.exists
        return
    import kubernetes_validate
    assert manifest.mode == 0o644 and host.file("/etc/aiplatform/manifests/cni").mode == 0o750
    docs = [d for d in yaml.safe_load_all(manifest.content_string) if d]
    assert [d["kind"] for d in docs] == ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding",
                                        "ConfigMap", "DaemonSet"]
    for doc in docs:
        kubernetes_validate.validate(doc, "1.31", strict=True)
    net_conf = json.loads(docs[4]["data"]["net-conf.json"])
    assert net_conf["Network"] == "10.244.0.0/16"  # platform_network.pod_network, as in podSubnet


def test_no_kubernetes_package_without_the_lifecycle(host):
    for package in ("kubeadm", "kubelet", "kubectl"):
        assert not host.package(package).is_installed
    assert not host.file("/etc/apt/sources.list.d/kubernetes.list").exists


def test_lifecycle_in_check_mode_inits_once_and_joins_the_rest(host):
    rc, out = _playbook("converge.yml", "-e", "kubeadm_lifecycle=true")
    assert rc == 0, out[-3000:]
    assert "kubeadm init on kube-cp-01; joining as control plane: kube-cp-02; as workers: kube-worker-01" in _flat(out)
    assert "Check mode: kubeadm init --config /etc/aiplatform/kubernetes/kubeadm-init.yaml would run on kube-cp-01" in _flat(out)
    assert "Check mode: kube-cp-02 would join the cluster at 127.0.0.1:6444 as a control-plane node" in _flat(out)
    assert "Check mode: kube-worker-01 would join the cluster at 127.0.0.1:6444 as a worker" in _flat(out)
    assert "would be installed at 1.31.4 from https://pkgs.k8s.io/core:/stable:/v1.31/deb/" in _flat(out)
    assert ("Check mode: /etc/kubernetes/admin.conf is not on kube-cp-01 yet; the flannel manifest in "
            "/etc/aiplatform/manifests/cni would be applied once the cluster is initialised.") in _flat(out)
    assert set(_recap(out)) == {"kube-cp-01", "kube-cp-02", "kube-worker-01"}, out[-2000:]
    # Check mode changed nothing: a normal run would still find no package and no cluster.
    assert not host.package("kubeadm").is_installed
    assert not host.file("/etc/kubernetes/admin.conf").exists


def test_scale_refuses_without_a_cluster(host):
    rc, out = _playbook(os.path.join(PROJECT, "playbooks", "scale.yml"), "-e", "kubeadm_lifecycle=true")
    assert rc != 0
    assert "No reachable control-plane node belongs to a cluster" in _flat(out)
    assert "Fix: run site.yml to create the cluster" in _flat(out)


def test_scale_in_check_mode_joins_only_the_new_worker(host):
    """The control-plane nodes pretend to be members (an empty kubelet.conf); the worker is new."""
    if _name(host) != FIRST:
        return
    with _members(["kube-cp-01", "kube-cp-02"]):
        rc, out = _playbook(os.path.join(PROJECT, "playbooks", "scale.yml"), "-e", "kubeadm_lifecycle=true",
                            "--tags", "always,kubeadm")
    assert rc == 0, out[-3000:]
    assert "New nodes: kube-worker-01." in _flat(out)
    assert ("The cluster exists; joining as control plane: none; as workers: kube-worker-01; "
            "members already: kube-cp-01, kube-cp-02.") in _flat(out)
    assert "Check mode: kube-worker-01 would join the cluster at 127.0.0.1:6444 as a worker" in _flat(out)
    assert "Check mode: kubeadm init" not in _flat(out.split("PLAY [Join the new nodes]")[1])


def _members(names):
    """Make ``names`` look like cluster members (an empty kubelet.conf) for the block's duration."""
    class _Members(object):
        def __enter__(self):
            for name in names:
                subprocess.run(["docker", "exec", name, "sh", "-c", "mkdir -p /etc/kubernetes && touch "
                                "/etc/kubernetes/kubelet.conf"], check=True)

        def __exit__(self, *exc):
            for name in names:
                subprocess.run(["docker", "exec", name, "rm", "-f", "/etc/kubernetes/kubelet.conf"], check=True)
    return _Members()


def test_upgrade_in_check_mode_goes_one_minor_control_plane_first(host):
    """No cluster to read here: upgrade_current_version stands in for the API server's answer."""
    if _name(host) != FIRST:
        return
    rc, out = _playbook(os.path.join(PROJECT, "playbooks", "upgrade.yml"), "-e", "upgrade_current_version=1.30.6",
                        "-e", "kubernetes_version=1.31.4")
    assert rc == 0, out[-3000:]
    flat = _flat(out)
    assert ("This run: 1.31.4 on kube-cp-01, then the other control-plane nodes one by one, then the workers in "
            "1 batch(es) of 1.") in flat
    first = flat.index("Check mode: kube-cp-01 would install kubeadm 1.31.4, run kubeadm upgrade plan v1.31.4 and "
                       "kubeadm upgrade apply -y v1.31.4")
    second = flat.index("Check mode: kube-cp-02 would install kubeadm 1.31.4, run kubeadm upgrade node")
    worker = flat.index("Check mode: kube-worker-01 would install kubeadm 1.31.4, run kubeadm upgrade node, drain it")
    assert first < second < worker
    # Two minors away: refused before anything, naming the step to run first.
    rc, out = _playbook(os.path.join(PROJECT, "playbooks", "upgrade.yml"), "-e", "upgrade_current_version=1.29.10",
                        "-e", "kubernetes_version=1.31.4")
    assert rc != 0
    assert "kubeadm upgrades one minor at a time: 1.30 -> 1.31.4. Nothing was changed." in _flat(out)
    assert "-e kubernetes_version=1.30.<patch>" in _flat(out)


def test_reset_needs_confirmation_and_keeps_data(host):
    if _name(host) != FIRST:
        return
    rc, out = _playbook(os.path.join(PROJECT, "playbooks", "reset.yml"))
    assert rc != 0 and "Nothing was changed. To go on, run again with -e reset_confirm=yes" in _flat(out)
    with _members(["kube-cp-01"]):
        rc, out = _playbook(os.path.join(PROJECT, "playbooks", "reset.yml"), "-e", "reset_confirm=yes")
        # Check mode removed nothing.
        assert subprocess.run(["docker", "exec", FIRST, "test", "-f", "/etc/kubernetes/kubelet.conf"]).returncode == 0
    assert rc == 0, out[-3000:]
    flat = _flat(out)
    for name in ("kube-cp-01", "kube-cp-02", "kube-worker-01"):
        assert "%s: would be reset (check mode)" % name in flat
    assert "Kept: packages kubeadm, kubelet, kubectl, cri-tools (installed and held); containerd and its images; " \
           "/etc/aiplatform." in flat


def test_remove_node_and_backup_in_check_mode(host):
    if _name(host) != FIRST:
        return
    rc, out = _playbook(os.path.join(PROJECT, "playbooks", "remove_node.yml"))
    assert rc != 0 and "remove_node.yml needs the node to remove: -e node=<name>" in _flat(out)
    rc, out = _playbook(os.path.join(PROJECT, "playbooks", "remove_node.yml"), "-e", "node=kube-worker-01")
    assert rc == 0, out[-3000:]
    flat = _flat(out)
    assert "drain kube-worker-01 --ignore-daemonsets" in flat and "delete node kube-worker-01" in flat
    assert "kube-worker-01: would be reset (check mode)" in flat
    assert "kube-cp-02: would be reset" not in flat  # only that node
    rc, out = _playbook(os.path.join(PROJECT, "playbooks", "backup.yml"))
    assert rc == 0, out[-3000:]
    assert "snapshot save /var/lib/etcd/aiplatform-snapshot-" in _flat(out)
    assert "Check mode: nothing was taken." in _flat(out)


def test_reset_removes_only_data_the_collection_created(host):
    """Last test of the scenario: it really resets kube-worker-01. Two NFS export directories of the worker, one
    made by the collection's data_dir module (marker .aiplatform-created) and one made by the site (no marker):
    reset.yml -e reset_nfs_data=yes removes the first and keeps the second, saying why."""
    if _name(host) != FIRST:
        return
    worker = "kube-worker-01"
    made, theirs = "/srv/aiplatform-test/made", "/srv/aiplatform-test/theirs"
    reset = os.path.join(PROJECT, "playbooks", "reset.yml")
    subprocess.run(["docker", "exec", worker, "sh", "-c", "rm -rf /srv/aiplatform-test && mkdir -p %s "
                    "&& echo data > %s/file" % (theirs, theirs)], check=True)
    # The collection's own module creates the other one, so the marker is the one a real run writes.
    rc, out = _apply(os.path.join(HERE, "tests", "data_dir.yml"), "-l", worker, "-e", "path=" + made)
    assert rc == 0, out[-3000:]
    assert subprocess.run(["docker", "exec", worker, "grep", "-q", "created by aiplatform.cluster (molecule kubeadm)",
                           made + "/.aiplatform-created"]).returncode == 0
    storage = json.dumps({"platform_storage": {"nfs": {"shares": [
        {"name": "made", "server": worker, "export_path": made, "mount_point": "/mnt/made"},
        {"name": "theirs", "server": worker, "export_path": theirs, "mount_point": "/mnt/theirs"}]}}})
    args = ("-l", worker, "-e", "reset_confirm=yes", "-e", "reset_nfs_data=yes", "-e", storage)
    # A path the rules refuse stops the reset before anything changes.
    bad = json.dumps({"platform_storage": {"nfs": {"shares": [{"name": "etc", "server": worker, "export_path": "/etc",
                                                               "mount_point": "/mnt/etc"}]}}})
    rc, out = _apply(reset, "-l", worker, "-e", "reset_confirm=yes", "-e", "reset_nfs_data=yes", "-e", bad)
    assert rc != 0 and "reset would remove '/etc' is a system directory" in _flat(out), out[-3000:]
    assert "Nothing was changed" in _flat(out) and "TASK [Find the Kubernetes tools on the node]" not in out
    # Check mode says what would go and removes nothing.
    rc, out = _apply(reset, "--check", *args)
    assert rc == 0, out[-3000:]
    flat = _flat(out)
    assert "Data that would be removed (the collection created it, .aiplatform-created): %s." % made in flat
    assert ("data %s although asked for: it has no .aiplatform-created marker, so the collection did not create it"
            % theirs) in flat
    assert subprocess.run(["docker", "exec", worker, "test", "-d", made]).returncode == 0
    # The real run.
    rc, out = _apply(reset, *args)
    assert rc == 0, out[-3000:]
    flat = _flat(out)
    assert "Data removed (the collection created it, .aiplatform-created): %s." % made in flat
    assert "data %s although asked for: it has no .aiplatform-created marker" % theirs in flat
    assert subprocess.run(["docker", "exec", worker, "test", "-e", made]).returncode != 0
    assert subprocess.run(["docker", "exec", worker, "grep", "-qx", "data", theirs + "/file"]).returncode == 0
