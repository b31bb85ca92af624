"""A rerun of the registry stage renews a certificate close to expiry (docs/lifecycle.md, Certificates).

The registry's certificate is issued again in this test, by the site CA's key on the control machine, valid for
registry_cert_renew_days (30) plus a few minutes; a rerun installs it (the controller's file changed) and its record
reads "Certificate will not expire". Once fewer than 30 days are left, nothing else having changed, the next rerun
runs the stage because of that probe alone, and the site CA issues the certificate again (825 days); the rerun after
that skips the stage and changes nothing. Runs `tests/renewal.yml`, which is `site.yml --tags registry` here."""
import datetime
import json
import os
import re
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

testinfra_hosts = ["reg-01"]

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROJECT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(PROJECT, "tests", "support"))  # the playbook runner shared by the verifiers

from molecule_playbook import flat, run_playbook  # noqa: E402

THRESHOLD = 30 * 86400
MARGIN = 150  # seconds over the threshold: the first rerun must record before they run out


def _run():
    """tests/renewal.yml (site.yml --tags registry) for real; (rc, output with white space runs as one space)."""
    rc, out = run_playbook(os.path.join(HERE, "tests", "renewal.yml"))
    return rc, flat(out)


def _changed(out, host):
    return int(re.search(r"%s\s*:\s*ok=\d+\s+changed=(\d+)" % host, out).group(1))


def _short_certificate(pki, seconds):
    """The registry's certificate again, same key, names and CA, valid for ``seconds`` from now."""
    old = x509.load_pem_x509_certificate(open(os.path.join(pki, "registry-reg-01.crt"), "rb").read())
    ca = x509.load_pem_x509_certificate(open(os.path.join(pki, "ca.crt"), "rb").read())
    ca_key = serialization.load_pem_private_key(open(os.path.join(pki, "ca.key"), "rb").read(), None)
    start = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    builder = (x509.CertificateBuilder().subject_name(old.subject).issuer_name(ca.subject)
               .public_key(old.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start - datetime.timedelta(minutes=5))
               .not_valid_after(start + datetime.timedelta(seconds=seconds)))
    for ext in old.extensions:
        builder = builder.add_extension(ext.value, ext.critical)
    cert = builder.sign(ca_key, hashes.SHA256())
    with open(os.path.join(pki, "registry-reg-01.crt"), "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    return cert.not_valid_after_utc


def _record(host):
    return json.loads(host.run("cat /var/lib/aiplatform/stages/registry.json").stdout)


def test_a_rerun_renews_the_certificate_once_it_is_under_its_threshold(host):
    pki = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "artifacts", "pki")
    not_after = _short_certificate(pki, THRESHOLD + MARGIN)
    started = time.time()

    rc, out = _run()  # installs the short certificate (the controller's file changed)
    assert rc == 0, out[-4000:]
    took = time.time() - started
    probes = dict((k, v) for k, v in _record(host)["probes"].items() if k.startswith("openssl x509 -checkend"))
    assert len(probes) == 1, _record(host)["probes"]
    assert "Certificate will not expire" in list(probes.values())[0], (
        "the rerun took %d s, more than the %d s the certificate had over its threshold" % (took, MARGIN))
    served = host.file("/etc/aiplatform/pki/registry.crt").content_string
    assert served == open(os.path.join(pki, "registry-reg-01.crt")).read()  # the short one is installed

    # now fewer than 30 days are left; nothing else changed
    wait = not_after.timestamp() - THRESHOLD - time.time() + 5
    if wait > 0:
        time.sleep(wait)
    rc, out = _run()
    assert rc == 0, out[-4000:]
    assert "stage registry runs on reg-01: `openssl x509 -checkend 2592000 -noout -in /etc/aiplatform/pki/registry.crt`" \
        " now says" in out, out[-4000:]
    assert "registry-reg-01.crt expires in 29 day(s)" in out and "the site CA issues it again, valid 825 days" in out
    assert _changed(out, "reg-01") > 0
    end = host.run("openssl x509 -noout -checkend %d -in /etc/aiplatform/pki/registry.crt" % (800 * 86400))
    assert end.rc == 0, end.stdout  # the served certificate is the new one
    verify = host.run("openssl verify -CAfile /etc/aiplatform/pki/ca.crt /etc/aiplatform/pki/registry.crt")
    assert verify.rc == 0, verify.stdout + verify.stderr
    assert host.service("docker-registry").is_running

    rc, out = _run()
    assert rc == 0, out[-4000:]
    assert "STAGE UNCHANGED: registry on reg-01" in out, out[-4000:]
    assert _changed(out, "reg-01") == 0 and _changed(out, "client-01") == 0
