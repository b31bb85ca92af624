#!/usr/bin/env python3
"""Stand-in for the get-pip bootstrap script ansible-test downloads from a host this
workplace cannot reach. ansible-test runs it in a fresh virtual environment as
`python get_pip.py [pip options] pip==X`: bootstrap pip with the standard library's
ensurepip, then let that pip install the requested versions from the package index.

ansible-test runs pip with a cleaned environment (no PIP_CERT): the venv gets a
pip.conf pointing pip at the system's CA bundle, so that a site whose index sits
behind a TLS-inspecting proxy (trusted by the system store) still works.
"""
import ensurepip
import os
import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}
BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")

ensurepip.bootstrap(upgrade=True)
bundle = os.environ.get("PIP_CERT") or next((b for b in BUNDLES if os.path.exists(b)), None)
if bundle:
    with open(os.path.join(sys.prefix, "pip.conf"), "w") as handle:
        handle.write("[global]\ncert = %s\n" % bundle)
args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
if bundle:
    args = ["--cert", bundle] + args
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
