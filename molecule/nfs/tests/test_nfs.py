"""What the nfs role leaves on a server and a client (exports and mounts themselves need an NFS kernel)."""

SERVER = "nfs-server-01"


def test_exports_are_limited_to_the_cluster_networks(host):
    if host.backend.get_hostname() != SERVER:
        return
    assert host.package("nfs-kernel-server").is_installed
    lines = [l for l in host.file("/etc/exports.d/aiplatform.exports").content_string.splitlines()
             if l and not l.startswith("#")]
    assert lines[0] == ("/srv/nfs/share 10.20.0.0/24(rw,sync,no_subtree_check,root_squash) "
                        "10.30.0.0/24(rw,sync,no_subtree_check,root_squash)")
    # no clients and no node networks: one /32 per node, in inventory order (molecule's inventory file puts the
    # client first; from a platform config it is the config's order, tests/unit/roles/test_node_networks_rendered.py)
    path, *specs = lines[1].split(" ")
    assert path == "/srv/nfs/models" and sorted(specs) == [
        "10.20.0.11/32(ro,sync,no_subtree_check)", "10.20.0.12/32(ro,sync,no_subtree_check)"]
    assert len(lines) == 2
    assert "*" not in host.file("/etc/exports.d/aiplatform.exports").content_string


def test_default_folders(host):
    if host.backend.get_hostname() != SERVER:
        return
    for share in ("/srv/nfs/share", "/srv/nfs/models"):
        assert host.file(share).mode == 0o755
        for folder in ("jobfiles", "storage", "work", "namenodeshare"):
            entry = host.file("%s/%s" % (share, folder))
            assert entry.is_directory and entry.mode == 0o1777 and entry.user == "root"


def test_fstab_on_every_node(host):
    assert host.package("nfs-common").is_installed
    fstab = host.file("/etc/fstab").content_string.splitlines()
    share = [l.split() for l in fstab if " /mnt/share " in l]
    models = [l.split() for l in fstab if " /mnt/models " in l]
    assert share == [["10.20.0.11:/srv/nfs/share", "/mnt/share", "nfs",
                      "rw,hard,nfsvers=4.1,timeo=600,retrans=2,noatime,_netdev", "0", "0"]]
    assert models == [["10.20.0.11:/srv/nfs/models", "/mnt/models", "nfs", "ro,_netdev", "0", "0"]]
    assert host.file("/mnt/share").is_directory and host.file("/mnt/models").is_directory


def test_the_server_runs_nfs_v4_only(host):
    if host.backend.get_hostname() != SERVER:
        return
    conf = host.file("/etc/nfs.conf.d/aiplatform.conf")
    assert conf.mode == 0o644 and conf.user == "root"
    lines = [l for l in conf.content_string.splitlines() if l and not l.startswith("#")]
    assert lines == ["[nfsd]", "vers3=n", "udp=n"]
    # what nfs-utils itself reads: /etc/nfs.conf, then the drop-ins
    assert host.check_output("nfsconf --get nfsd vers3") == "n"
    assert host.check_output("nfsconf --get nfsd udp") == "n"
    assert host.run("nfsconf --get nfsd vers4").rc != 0  # not set anywhere: nfsd's default, on


def _listening(host, port):
    """Sockets in LISTEN (tcp) or bound (udp) on ``port``, from /proc/net (no ss or netstat in the image)."""
    found = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        for line in host.file("/proc/net/%s" % table).content_string.splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            if int(local.rsplit(":", 1)[1], 16) == port and (state == "0A" or table.startswith("udp")):
                found.append("%s %s" % (table, local))
    return found


def test_rpcbind_and_statd_are_masked_and_nothing_listens_on_111(host):
    # The server masks them; the client too, where nfs-common pulled rpcbind in as a dependency.
    assert host.check_output("apt-mark showauto rpcbind") == "rpcbind"
    for unit in ("rpcbind.socket", "rpcbind.service", "rpc-statd.service"):
        assert host.run("systemctl is-enabled %s" % unit).stdout.strip() == "masked", unit
        assert host.run("systemctl is-active %s" % unit).stdout.strip() == "inactive", unit
    assert _listening(host, 111) == []
