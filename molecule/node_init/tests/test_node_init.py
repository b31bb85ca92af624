"""Real state after node_init on systemd containers."""

NODES = {"node-debian12": "192.0.2.11", "node-ubuntu2204": "192.0.2.12", "node-ubuntu2404": "192.0.2.13"}


def test_hosts_block_lists_every_node(host):
    hosts = host.file("/etc/hosts").content_string
    assert "# BEGIN aiplatform.cluster nodes (managed, do not edit)" in hosts
    for name, ip in NODES.items():
        assert "%s %s.nodetest.internal %s" % (ip, name, name) in hosts


def test_search_domain(host):
    resolv = host.file("/etc/resolv.conf").content_string
    resolved = host.file("/etc/systemd/resolved.conf.d/90-aiplatform.conf")
    assert "search nodetest.internal" in resolv or (resolved.exists and "Domains=nodetest.internal" in
                                                    resolved.content_string)


def test_sysctl_dropin_has_every_value(host):
    conf = host.file("/etc/sysctl.d/90-aiplatform.conf")
    assert conf.exists
    values = dict(line.split("=", 1) for line in conf.content_string.splitlines() if "=" in line)
    values = {k.strip(): v.strip() for k, v in values.items()}
    assert values["net.ipv4.ip_forward"] == "1"
    assert values["net.bridge.bridge-nf-call-iptables"] == "1"
    assert int(values["fs.inotify.max_user_instances"]) >= 512
    assert int(values["fs.inotify.max_user_watches"]) >= 262144
    assert values["vm.swappiness"] == "0"
    assert values["net.ipv4.conf.all.arp_ignore"] == "1"  # kube-proxy ipvs


def test_modules_file(host):
    modules = host.file("/etc/modules-load.d/aiplatform.conf").content_string.split()
    for name in ("overlay", "br_netfilter", "ip_vs", "ip_vs_rr", "nf_conntrack"):
        assert name in modules


def test_limits(host):
    limits = host.file("/etc/security/limits.d/90-aiplatform.conf").content_string
    assert "*    hard nofile 1048576" in limits and "root hard nofile 1048576" in limits


def test_no_unattended_upgrades(host):
    conf = host.file("/etc/apt/apt.conf.d/20auto-upgrades").content_string
    assert 'APT::Periodic::Unattended-Upgrade "0";' in conf
    for timer in ("apt-daily.timer", "apt-daily-upgrade.timer"):
        state = host.run("systemctl is-enabled %s" % timer).stdout.strip()
        assert state in ("masked", "") or "No such file" in state, (timer, state)


def test_chrony_runs_and_follows_the_time_server_node(host):
    assert host.package("chrony").is_installed
    assert host.service("chrony").is_running
    conf = host.file("/etc/chrony/chrony.conf").content_string
    if host.backend.get_hostname() == "node-debian12":
        # network.node_networks unset: one /32 per node, in inventory order
        assert "local stratum 10" in conf
        assert [l for l in conf.splitlines() if l.startswith("allow ")] == [
            "allow 192.0.2.11/32", "allow 192.0.2.12/32", "allow 192.0.2.13/32"]
    else:
        assert "server 192.0.2.11 iburst prefer" in conf
    dropin = host.file("/etc/systemd/system/chrony.service.d/aiplatform-container.conf").content_string
    assert "chronyd $DAEMON_OPTS -x" in dropin


def test_swap_entries_disabled(host):
    for line in host.file("/etc/fstab").content_string.splitlines():
        fields = line.split()
        if len(fields) > 2 and fields[2] == "swap":
            assert line.startswith("#"), line


def test_base_packages(host):
    for name in ("conntrack", "socat", "ipset", "ipvsadm", "nfs-common"):
        assert host.package(name).is_installed, name


def _ufw_as_now(host):
    return host.check_output("grep '^ENABLED=' /etc/ufw/ufw.conf; sha256sum /etc/ufw/*.rules /etc/ufw/ufw.conf; "
                             "ls -l --time-style=+%s /etc/ufw")


def test_unmanaged_firewall_is_left_as_found(host):
    if host.backend.get_hostname() == "node-debian12":
        return
    # files, their times and ufw's own on/off switch exactly as prepare left them (ufw status itself needs
    # iptables, which these containers may not run)
    assert _ufw_as_now(host) == host.file("/root/ufw-as-found").content_string.strip()
    assert host.check_output("grep '^ENABLED=' /etc/ufw/ufw.conf") == "ENABLED=no"
    rules = host.file("/etc/ufw/user.rules").content_string
    assert "### tuple ### allow tcp 8443 0.0.0.0/0 any 198.51.100.7 in" in rules
    assert "aiplatform" not in rules


def test_managed_firewall_opens_exactly_the_cluster_ports(host):
    if host.backend.get_hostname() != "node-debian12":
        return
    rules = host.file("/etc/ufw/user.rules").content_string
    # what ufw wrote: "### tuple ### allow tcp 6443 0.0.0.0/0 any 192.0.2.11 in comment=..." (ufw writes a /32 as
    # the bare address); network.node_networks is unset: one /32 per node
    tuples = sorted(line.split(" comment=")[0].replace("### tuple ### ", "")
                    for line in rules.splitlines() if line.startswith("### tuple ###"))
    nodes, pods = ("192.0.2.11", "192.0.2.12", "192.0.2.13"), ("10.244.0.0/16",)
    want = ["allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in"]
    for port, proto, sources in [
            ("6443", "tcp", nodes + pods), ("2379", "tcp", nodes), ("2380", "tcp", nodes),
            ("10250", "tcp", nodes + pods), ("30000:32767", "tcp", nodes), ("30000:32767", "udp", nodes),
            ("8472", "udp", nodes), ("9100", "tcp", nodes + pods)]:
        want += ["allow %s %s 0.0.0.0/0 any %s in" % (proto, port, src) for src in sources]
    # the site's own rule stays; nothing else is opened (no 111: NFS runs v4 only; no local-only ports)
    want.append("allow tcp 8443 0.0.0.0/0 any 198.51.100.7 in")
    assert tuples == sorted(want)
