"""Certificate expiry (docs/lifecycle.md, Certificates): the reading of real certificates made by the collection's
own site CA code (role pki, tasks ca and issue, run by ansible-playbook on this machine) with 3, 20 and 400 days of
validity; the verify rows; the re-issue under pki_renew_days; renew_certs.yml in check mode and for real with
stand-ins for kubeadm, crictl and kubectl (no Kubernetes runs here)."""
import base64
import datetime
import hashlib
import json
import os
import re
import subprocess
import sys
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ansible_collections.aiplatform.cluster.plugins.module_utils import cert_expiry as ce
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import verify
from ansible_collections.aiplatform.cluster.plugins.modules import cert_expiry as module

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
BIN = os.path.dirname(sys.executable)
DAYS = (3, 20, 400)

ISSUE_PLAYBOOK = """
- name: The site CA and certificates from it, with the collection's own tasks
  hosts: localhost
  gather_facts: false
  tasks:
    - name: The site CA
      ansible.builtin.include_role: {name: aiplatform.cluster.pki, tasks_from: ca}
    - name: Certificates
      ansible.builtin.include_role: {name: aiplatform.cluster.pki, tasks_from: issue}
      vars:
        pki_issue_name: "{{ item.name }}"
        pki_issue_sans: ["DNS:{{ item.name }}.example"]
        pki_cert_days: "{{ item.days }}"
      loop: "{{ certs }}"
"""


def env(**extra):
    out = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_FORCE_COLOR="false",
               ANSIBLE_NOCOLOR="true", ANSIBLE_INVENTORY_ENABLED="host_list,ini", ANSIBLE_CACHE_PLUGIN="memory")
    out.update(extra)
    return out


def play(playbook, *args, **env_extra):
    run = subprocess.run([os.path.join(BIN, "ansible-playbook")] + list(args) + [str(playbook)], cwd=ROOT,
                         env=env(**env_extra), capture_output=True, text=True, timeout=300, check=False)
    return run.returncode, " ".join((run.stdout + run.stderr).split())


def issue(tmp, certs, *args, **extra_vars):
    """Run the pki role's ca and issue tasks on this machine; (rc, output)."""
    book = tmp / "issue.yml"
    book.write_text(ISSUE_PLAYBOOK)
    extra = dict({"pki_dir": str(tmp / "pki"), "pki_enabled": True, "ansible_python_interpreter": sys.executable,
                  "certs": certs}, **extra_vars)
    return play(book, "-i", "localhost,", "-c", "local", "-e", json.dumps(extra), *args)


def recap_changed(out):
    return int(re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)", out).group(1))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("site")
    rc, out = issue(tmp, [{"name": "d%d" % d, "days": d} for d in DAYS])
    assert rc == 0, out[-3000:]
    return tmp


def pem(site, name):
    return (site / "pki" / ("%s.crt" % name)).read_text()


def now():
    return datetime.datetime(*time.gmtime()[:6])


# --- reading real certificates ---------------------------------------------------------------------------------


@pytest.mark.parametrize("days", DAYS)
def test_dates_match_what_cryptography_reads(site, days):
    text = pem(site, "d%d" % days)
    ours = ce.pem_certificates(text)
    theirs = x509.load_pem_x509_certificate(text.encode())
    assert len(ours) == 1
    assert ours[0]["not_after"] == theirs.not_valid_after_utc.replace(tzinfo=None)
    assert ours[0]["not_before"] == theirs.not_valid_before_utc.replace(tzinfo=None)
    assert ours[0]["subject"] == "d%d.example" % days
    assert ours[0]["issuer"].startswith("aiplatform ") and ours[0]["issuer"].endswith(" CA")
    assert ours[0]["is_ca"] is False


@pytest.mark.parametrize("days, status", [(3, "fail"), (20, "warn"), (400, "pass")])
def test_days_left_and_status_with_the_default_thresholds(site, days, status):
    parsed = ce.pem_certificates(pem(site, "d%d" % days))[0]
    assert parsed["not_after"] - parsed["not_before"] == datetime.timedelta(days=days)
    # a second after it was issued for `days` days, days - 1 whole days are left
    described = ce.describe(parsed, parsed["not_before"] + datetime.timedelta(seconds=1))
    assert described["days_left"] == days - 1
    assert described["status"] == status
    # now (the same second it was issued, or later)
    assert ce.describe(parsed, now())["days_left"] in (days - 1, days)
    assert ce.describe(parsed, now())["status"] == status


def test_the_site_ca_is_a_ca(site):
    ca = ce.pem_certificates(pem(site, "ca"))[0]
    assert ca["is_ca"] is True and ca["subject"] == ca["issuer"]
    assert ce.days_left(ca["not_after"], now()) in (3649, 3650)  # 3650 within the second it was issued


@pytest.mark.parametrize("days, warn, fail, status", [
    (-1, 30, 7, "fail"), (0, 30, 7, "fail"), (6, 30, 7, "fail"), (7, 30, 7, "warn"), (29, 30, 7, "warn"),
    (30, 30, 7, "pass"), (5, 10, 0, "warn"), (0, 10, 0, "warn"), (-1, 10, 0, "fail"), (10, 10, 10, "pass"),
    (9, 10, 10, "fail"),
])
def test_status_table(days, warn, fail, status):
    assert ce.status_of(days, warn, fail) == status


@pytest.mark.parametrize("warn, fail", [(5, 7), (30, -1)])
def test_thresholds_out_of_order_are_refused(warn, fail):
    with pytest.raises(ValueError, match="warn_days .* must be >= fail_days"):
        ce.status_of(10, warn, fail)


def test_days_left_rounds_down_and_goes_negative():
    end = datetime.datetime(2030, 1, 10, 12, 0, 0)
    assert ce.days_left(end, datetime.datetime(2030, 1, 1, 12, 0, 1)) == 8
    assert ce.days_left(end, datetime.datetime(2030, 1, 1, 12, 0, 0)) == 9
    assert ce.days_left(end, datetime.datetime(2030, 1, 10, 12, 0, 1)) == -1


def _self_signed(not_after):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, u"far")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(datetime.datetime(2020, 1, 1)).not_valid_after(not_after)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_generalized_time_after_2049_and_no_extensions():
    # RFC 5280: UTCTime up to 2049, GeneralizedTime from 2050 on; this one has no basicConstraints at all
    cert = ce.pem_certificates(_self_signed(datetime.datetime(2051, 3, 4, 5, 6, 7)))[0]
    assert cert["not_after"] == datetime.datetime(2051, 3, 4, 5, 6, 7)
    assert cert["not_before"] == datetime.datetime(2020, 1, 1)
    assert cert["is_ca"] is False


@pytest.mark.parametrize("text, words", [
    ("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", "not base64"),
    ("-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % base64.b64encode(b"\x30\x03\x02\x01").decode(),
     "truncated DER"),
    ("-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % base64.b64encode(b"\x04\x01\x00").decode(),
     "no SEQUENCE"),
    ("-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % base64.b64encode(
        b"\x30\x06\x30\x00\x30\x00\x03\x00").decode(), "no validity"),
])
def test_damaged_certificates_raise(text, words):
    with pytest.raises(ce.CertError, match=words):
        ce.pem_certificates(text)


# --- the module: files, kubeconfigs, keys never returned ------------------------------------------------------------


def kubeconfig(cert_pem=None, cert_file=None, key_pem="KEY"):
    user = ("    client-certificate-data: %s\n" % base64.b64encode(cert_pem.encode()).decode()) if cert_pem else (
        "    client-certificate: %s\n" % cert_file)
    return ("apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: %s\n    server: https://10.0.0.1:6443\n"
            "  name: kubernetes\nkind: Config\nusers:\n- name: kubernetes-admin\n  user:\n%s"
            "    client-key-data: %s\n" % (base64.b64encode(b"the CA").decode(), user,
                                          base64.b64encode(key_pem.encode()).decode()))


def test_module_reads_files_kubeconfigs_and_the_kubelets_rotated_certificate(site, tmp_path):
    k8s = tmp_path / "kubernetes"
    (k8s / "pki" / "etcd").mkdir(parents=True)
    (k8s / "pki" / "apiserver.crt").write_text(pem(site, "d3"))
    (k8s / "pki" / "ca.crt").write_text(pem(site, "ca"))
    (k8s / "pki" / "etcd" / "server.crt").write_text(pem(site, "d400"))
    (k8s / "pki" / "broken.crt").write_text("not a certificate\n")
    key = (site / "pki" / "d20.key").read_text()
    (k8s / "admin.conf").write_text(kubeconfig(cert_pem=pem(site, "d20"), key_pem=key))
    kubelet_pki = tmp_path / "kubelet-pki"
    kubelet_pki.mkdir()
    # as the kubelet keeps it: certificate and key in one file, behind a link
    (kubelet_pki / "kubelet-client-2030.pem").write_text(pem(site, "d400") + key)
    os.symlink("kubelet-client-2030.pem", str(kubelet_pki / "kubelet-client-current.pem"))
    (k8s / "kubelet.conf").write_text(kubeconfig(cert_file=kubelet_pki / "kubelet-client-current.pem", key_pem=key))
    # A second after the last of them was issued: whole days left are each validity - 1 (now() could fall in the
    # second of issuance, which leaves the full validity).
    issued = max(ce.pem_certificates(pem(site, name))[0]["not_before"] for name in ("d3", "d20", "d400", "ca"))
    certs, missing, problems = module.read_paths(
        [str(k8s / "pki" / "*.crt"), str(k8s / "pki" / "etcd" / "*.crt"), str(k8s / "admin.conf"),
         str(k8s / "scheduler.conf"), str(k8s / "super-admin.conf*"), str(k8s / "kubelet.conf")],
        issued + datetime.timedelta(seconds=1), 30, 7)
    by_source = dict((c["source"], c) for c in certs)
    assert sorted((os.path.relpath(s, str(tmp_path)), c["days_left"], c["status"]) for s, c in by_source.items()) == [
        ("kubernetes/admin.conf", 19, "warn"),
        ("kubernetes/kubelet.conf -> %s" % (kubelet_pki / "kubelet-client-current.pem"), 399, "pass"),
        ("kubernetes/pki/apiserver.crt", 2, "fail"),
        ("kubernetes/pki/ca.crt", 3649, "pass"),
        ("kubernetes/pki/etcd/server.crt", 399, "pass"),
    ]
    assert by_source[str(k8s / "pki" / "ca.crt")]["is_ca"] is True
    assert by_source[str(k8s / "admin.conf")]["kind"] == "kubeconfig"
    assert missing == [str(k8s / "scheduler.conf")]  # a pattern that matches nothing is not missing
    assert problems == [{"path": str(k8s / "pki" / "broken.crt"), "error": "no certificate in it"}]
    text = json.dumps([certs, missing, problems])
    assert "PRIVATE KEY" not in text and key.split("\n")[1] not in text


def test_a_kubeconfig_without_a_client_certificate_is_a_problem(tmp_path):
    conf = tmp_path / "token.conf"
    conf.write_text("apiVersion: v1\nkind: Config\nusers:\n- name: x\n  user:\n    token: abc\n")
    certs, _missing, problems = module.read_paths([str(conf)], now(), 30, 7)
    assert certs == [] and problems[0]["error"] == "a kubeconfig without a client certificate"


# --- verify rows -----------------------------------------------------------------------------------------------------


def result_of(*certs, **kw):
    return dict({"changed": False, "certificates": list(certs), "missing": [], "problems": []}, **kw)


def cert(source, days, is_ca=False, subject="x"):
    return {"path": source.split(" -> ")[-1], "source": source, "kind": "file", "subject": subject, "issuer": "ca",
            "is_ca": is_ca, "not_before": "2025-01-01T00:00:00Z", "not_after": "2026-01-%02dT00:00:00Z" % (1 + days % 28),
            "days_left": days, "status": "ignored: the thresholds of the call decide"}


def test_rows_one_summary_when_all_pass():
    rows = verify.certificate_rows(result_of(cert("/etc/kubernetes/pki/apiserver.crt", 300),
                                             cert("/etc/kubernetes/admin.conf", 200, subject="kubernetes-admin")),
                                   "cp-01")
    assert rows == [verify.row("certificate", "cp-01", "over 30 days left",
                               "2 certificate(s); the first to expire: /etc/kubernetes/admin.conf, expires 2026-01-05 "
                               "(200 day(s) left), CN kubernetes-admin", "pass")]


@pytest.mark.parametrize("source, days, is_ca, kind, status, fix", [
    ("/etc/kubernetes/pki/apiserver.crt", 20, False, "kubeadm", "warn", "playbooks/renew_certs.yml"),
    ("/etc/kubernetes/pki/apiserver.crt", 6, False, "kubeadm", "fail", "kubeadm certs renew all"),
    ("/etc/kubernetes/pki/apiserver.crt", -3, False, "kubeadm", "fail", "renew_certs.yml"),
    ("/etc/kubernetes/pki/ca.crt", 20, True, "kubeadm", "warn", "kubeadm certs renew does not renew CAs"),
    ("/etc/kubernetes/kubelet.conf -> /var/lib/kubelet/pki/kubelet-client-current.pem", 5, False, "kubeadm", "fail",
     "the kubelet renews its client certificate itself"),
    ("/etc/aiplatform/pki/registry.crt", 10, False, "site", "warn", "--tags site_ca"),
    ("/srv/site/.aiplatform/pki/ca.crt", 2, True, "site", "fail", "signs the site CA again"),
])
def test_rows_per_certificate_that_warns_or_fails(source, days, is_ca, kind, status, fix):
    rows = verify.certificate_rows(result_of(cert(source, days, is_ca), cert("/other.crt", 100)), "n1", kind)
    assert len(rows) == 1  # no summary row beside a problem
    assert rows[0]["status"] == status and rows[0]["target"] == "n1:" + source
    assert rows[0]["check"] == ("certificate" if kind == "kubeadm" else "site-certificate")
    assert fix in rows[0]["fix"]
    assert ("expired" if days < 0 else "day(s) left") in rows[0]["actual"]
    verify.validate_rows(rows)


def test_rows_thresholds_come_from_the_call_and_skipped_tasks_give_none():
    result = result_of(cert("/a.crt", 45))
    assert verify.certificate_rows(result, "n1", warn_days=60, fail_days=50)[0]["status"] == "fail"
    assert verify.certificate_rows(result, "n1", warn_days=60, fail_days=10)[0]["status"] == "warn"
    assert verify.certificate_rows({"skipped": True, "changed": False}, "n1") == []
    assert verify.certificate_rows(result_of(), "n1") == []


def test_rows_of_unreadable_files_and_failed_reads():
    rows = verify.certificate_rows(result_of(problems=[{"path": "/x.crt", "error": "no certificate in it"}]), "n1")
    assert [(r["target"], r["status"], r["actual"]) for r in rows] == [("n1:/x.crt", "fail", "no certificate in it")]
    rows = verify.certificate_rows({"failed": True, "msg": "Permission denied"}, "n1")
    assert rows[0]["status"] == "fail" and "Permission denied" in rows[0]["actual"]
    with pytest.raises(ValueError, match="kind must be kubeadm or site"):
        verify.certificate_rows(result_of(), "n1", "other")
    with pytest.raises(ValueError, match="without days_left"):
        verify.certificate_rows(result_of({"path": "/a"}), "n1")


# --- issued again under the threshold (what a rerun of the registry stage does) ----------------------------------


def test_issue_again_under_pki_renew_days_then_nothing(site, tmp_path):
    # a copy of the fixture's site: the other tests keep their certificates
    import shutil
    work = tmp_path / "site"
    shutil.copytree(str(site / "pki"), str(work / "pki"))
    before = dict((d, (work / "pki" / ("d%d.crt" % d)).read_bytes()) for d in DAYS)
    keys = dict((d, (work / "pki" / ("d%d.key" % d)).read_bytes()) for d in DAYS)
    certs = [{"name": "d%d" % d, "days": 825} for d in DAYS]
    rc, out = issue(work, certs)
    assert rc == 0, out[-3000:]
    assert "d3.crt expires in 2 day(s)" in out and "d20.crt expires in 19 day(s)" in out
    assert "d400.crt expires" not in out
    assert recap_changed(out) == 2
    for d in (3, 20):
        renewed = ce.describe(ce.pem_certificates((work / "pki" / ("d%d.crt" % d)).read_text())[0], now())
        assert renewed["days_left"] in (824, 825) and renewed["status"] == "pass"  # 825: the second of issuance
        assert (work / "pki" / ("d%d.key" % d)).read_bytes() == keys[d]  # same key
        # still signed by the site CA
        x509.load_pem_x509_certificate((work / "pki" / ("d%d.crt" % d)).read_bytes()).verify_directly_issued_by(
            x509.load_pem_x509_certificate((work / "pki" / "ca.crt").read_bytes()))
    assert (work / "pki" / "d400.crt").read_bytes() == before[400]
    rc, out = issue(work, certs)
    assert rc == 0 and recap_changed(out) == 0, out[-3000:]
    # check mode tells the truth: a due certificate is a change, and nothing is written
    (work / "pki" / "d3.crt").write_bytes(before[3])
    rc, out = issue(work, certs, "--check")
    assert rc == 0 and recap_changed(out) == 1, out[-3000:]
    assert (work / "pki" / "d3.crt").read_bytes() == before[3]


def test_the_ca_is_signed_again_with_its_key_in_its_last_days(tmp_path):
    rc, out = issue(tmp_path, [{"name": "reg", "days": 400}], pki_ca_days=100)
    assert rc == 0, out[-3000:]
    old_ca = (tmp_path / "pki" / "ca.crt").read_bytes()
    rc, out = issue(tmp_path, [{"name": "reg", "days": 400}])  # pki_ca_days 3650 again, pki_ca_renew_days 365
    assert rc == 0, out[-3000:]
    assert "The site CA certificate" in out and "expires in 99 day(s)" in out
    new_ca = x509.load_pem_x509_certificate((tmp_path / "pki" / "ca.crt").read_bytes())
    assert (tmp_path / "pki" / "ca.crt").read_bytes() != old_ca
    assert ce.days_left(new_ca.not_valid_after_utc.replace(tzinfo=None), now()) in (3649, 3650)
    # what the old CA certificate signed still chains to the new one (same key and subject)
    x509.load_pem_x509_certificate((tmp_path / "pki" / "reg.crt").read_bytes()).verify_directly_issued_by(new_ca)
    rc, out = issue(tmp_path, [{"name": "reg", "days": 400}])
    assert rc == 0 and recap_changed(out) == 0, out[-3000:]


# --- renew_certs.yml on this machine as a control-plane node (connection local) --------------------------------


def renew_run(site, tmp_path, apiserver_days, *args, kubeadm_renews=True):
    """renew_certs.yml with cp-01 this machine and its kubeadm directory under tmp_path; stand-ins on PATH log every
    call: kubeadm (certs renew all puts a 400-day certificate in place of apiserver.crt when kubeadm_renews), crictl
    (no container left), kubectl (/readyz ok)."""
    k8s = tmp_path / "kubernetes"
    (k8s / "pki" / "etcd").mkdir(parents=True)
    (k8s / "manifests").mkdir()
    (k8s / "pki" / "apiserver.crt").write_text(pem(site, "d%d" % apiserver_days))
    (k8s / "pki" / "ca.crt").write_text(pem(site, "ca"))
    (k8s / "pki" / "ca.key").write_text("the CA key\n")
    (k8s / "pki" / "etcd" / "peer.crt").write_text(pem(site, "d400"))
    (k8s / "admin.conf").write_text(kubeconfig(cert_pem=pem(site, "d400")))
    for name in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        (k8s / "manifests" / ("%s.yaml" % name)).write_text("kind: Pod\nmetadata: {name: %s}\n" % name)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    new = tmp_path / "new.crt"
    new.write_text(pem(site, "d400"))
    renew = 'cp %s "$5/apiserver.crt"' % new if kubeadm_renews else "true"
    for name, body in {
        "kubeadm": 'echo "kubeadm $* manifests=$(ls %s | wc -l)" >> %s\n%s' % (k8s / "manifests", log, renew),
        "crictl": 'echo "crictl $* manifests=$(ls %s | wc -l)" >> %s' % (k8s / "manifests", log),
        "kubectl": 'echo "kubectl $* manifests=$(ls %s | wc -l)" >> %s\necho ok' % (k8s / "manifests", log),
    }.items():
        (bin_dir / name).write_text("#!/bin/sh\n" + body + "\n")
        (bin_dir / name).chmod(0o755)
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(  # written by hand: it names itself as the platform config (playbooks/guard.yml)
        "[all:vars]\nplatform_config_file=%s\nplatform_artifacts_dir=%s\n[kube_control_plane]\n"
        "cp-01 ansible_connection=local ansible_python_interpreter=%s node_ip=10.0.0.1\n"
        % (inventory, tmp_path / "artifacts", sys.executable))
    rc, out = play(os.path.join(ROOT, "playbooks", "renew_certs.yml"), "-i", str(inventory),
                   "-e", "renew_certs_kubernetes_dir=%s" % k8s, *args,
                   PATH="%s:%s" % (bin_dir, os.environ["PATH"]))
    calls = log.read_text() if log.exists() else ""
    return rc, out, calls, k8s


def tree(path):
    return sorted((os.path.relpath(os.path.join(d, f), str(path)),
                   hashlib.sha256(open(os.path.join(d, f), "rb").read()).hexdigest())
                  for d, _dirs, files in os.walk(str(path)) for f in files)


def test_renew_certs_check_mode_says_what_it_would_do_and_changes_nothing(site, tmp_path):
    rc, out, calls, k8s = renew_run(site, tmp_path, 3, "--check")
    assert rc == 0, out[-3000:]
    assert "the first to expire: %s on" % (k8s / "pki" / "apiserver.crt") in out
    assert "(2 day(s) left). Renewing them (under renew_certs_days, 30)." in out
    assert "Check mode: cp-01 would copy %s/pki" % k8s in out and "run kubeadm certs renew all" in out
    assert calls == ""  # no kubeadm, crictl or kubectl call in check mode
    assert sorted(os.listdir(str(k8s / "manifests"))) == ["etcd.yaml", "kube-apiserver.yaml",
                                                         "kube-controller-manager.yaml", "kube-scheduler.yaml"]
    assert not (tmp_path / "artifacts").exists() and not (k8s / "tmp").exists()
    assert re.search(r"cp-01 : ok=\d+ changed=[1-9]", out), out[-1500:]


def test_renew_certs_leaves_certificates_with_time_left_alone(site, tmp_path):
    # for real: a second run after a renewal is this case
    rc, out, calls, k8s = renew_run(site, tmp_path, 400, "--skip-tags", "renew_kubeconfigs")
    assert rc == 0, out[-3000:]
    assert "Every one has 30 days or more left (renew_certs_days): nothing to renew" in out
    assert calls == "" and not (k8s / "tmp").exists()
    assert re.search(r"cp-01 : ok=\d+ changed=0", out), out[-1500:]


def test_renew_certs_renews_restarts_and_waits_for_the_api(site, tmp_path):
    # the copies of admin.conf go to /root/.kube here: left out (--skip-tags); check mode above covers the include
    rc, out, calls, k8s = renew_run(site, tmp_path, 20, "--skip-tags", "renew_kubeconfigs")
    assert rc == 0, out[-3000:]
    lines = calls.splitlines()
    assert lines[0] == "kubeadm certs renew all --cert-dir %s/pki manifests=4" % k8s
    # the static pods stopped (manifests out) while crictl was asked, and back before the API was asked
    assert lines[1].startswith("crictl ps -q --name ^(etcd|kube-apiserver|kube-controller-manager|kube-scheduler)$")
    assert lines[1].endswith("manifests=0")
    assert lines[2] == ("kubectl --kubeconfig %s/admin.conf --server https://10.0.0.1:6443 --request-timeout=10s get "
                        "--raw /readyz manifests=4" % k8s)
    assert len(lines) == 3
    assert sorted(os.listdir(str(k8s))) == ["admin.conf", "manifests", "pki", "tmp"]
    backups = os.listdir(str(k8s / "tmp"))
    assert len(backups) == 1 and backups[0].startswith("aiplatform-renew-")
    backup = k8s / "tmp" / backups[0]
    assert oct(os.stat(str(backup)).st_mode & 0o777) == "0o700"
    assert (backup / "pki" / "apiserver.crt").read_text() == pem(site, "d20")
    assert (backup / "admin.conf").exists()
    assert ce.describe(ce.pem_certificates((k8s / "pki" / "apiserver.crt").read_text())[0], now())["days_left"] in (399, 400)


def test_renew_certs_stops_when_kubeadm_did_not_renew_and_the_pods_come_back(site, tmp_path):
    rc, out, calls, k8s = renew_run(site, tmp_path, 3, "--skip-tags", "renew_kubeconfigs", kubeadm_renews=False)
    assert rc != 0
    assert "cp-01: kubeadm certs renew all ran, but %s/pki/apiserver.crt still expire(s) within 30 days" % k8s in out
    assert len(os.listdir(str(k8s / "manifests"))) == 4
