#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cert_expiry
short_description: Read when the certificates in PEM files and kubeconfigs expire
version_added: 0.1.0
description:
  - Read-only. For each file of I(paths) (glob patterns are expanded) reads every certificate it holds - the
    C(CERTIFICATE) blocks of a PEM file, or the client certificate of a kubeconfig (inline
    C(client-certificate-data), or the file C(client-certificate) names, such as the kubelet's
    C(/var/lib/kubelet/pki/kubelet-client-current.pem)) - and says when each expires, in days, with a status.
  - Needs only Python's standard library (the nodes have no C(cryptography)); nothing is verified, only the dates
    are read. Private keys in the same files are skipped and never returned.
  - Statuses - C(fail) when fewer than I(fail_days) days are left or it has expired, C(warn) when fewer than
    I(warn_days), else C(pass).
author:
  - aiplatform.cluster contributors (@aiplatform)
options:
  paths:
    description:
      - PEM certificate files and kubeconfigs (told apart by their content), or glob patterns of them.
      - A file that does not exist is listed in RV(missing); a pattern that matches nothing is not.
    type: list
    elements: str
    required: true
  warn_days:
    description: Fewer days left than this warn.
    type: int
    default: 30
  fail_days:
    description: Fewer days left than this fail. Must not be more than I(warn_days).
    type: int
    default: 7
extends_documentation_fragment:
  - aiplatform.cluster.attributes
  - aiplatform.cluster.attributes.info_module
"""

EXAMPLES = r"""
- name: When do the kubeadm certificates of this control-plane node expire
  aiplatform.cluster.cert_expiry:
    paths:
      - /etc/kubernetes/pki/*.crt
      - /etc/kubernetes/pki/etcd/*.crt
      - /etc/kubernetes/admin.conf
      - /etc/kubernetes/kubelet.conf
    warn_days: 30
    fail_days: 7
  register: __certs

- name: Certificates issued by the site CA, on the control machine
  aiplatform.cluster.cert_expiry:
    paths: ["{{ pki_dir }}/*.crt"]
  delegate_to: localhost
"""

RETURN = r"""
certificates:
  description: One entry per certificate, sorted by path, then by the order in the file.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The file that holds the certificate (the kubeconfig for inline data).
      type: str
    source:
      description: Where it was found - the file itself, or C(<kubeconfig> -> <file>) for a file a kubeconfig names.
      type: str
    kind:
      description: C(file) or C(kubeconfig).
      type: str
    subject:
      description: The subject's common name (empty when it has none).
      type: str
    issuer:
      description: The issuer's common name.
      type: str
    is_ca:
      description: The certificate is a CA (basicConstraints cA).
      type: bool
    not_before:
      description: Start of validity, ISO 8601 UTC.
      type: str
    not_after:
      description: End of validity, ISO 8601 UTC.
      type: str
    days_left:
      description: Whole days left (negative once expired).
      type: int
    status:
      description: C(pass), C(warn) or C(fail) by I(warn_days) and I(fail_days).
      type: str
missing:
  description: Files of I(paths) (not patterns) that do not exist.
  returned: always
  type: list
  elements: str
problems:
  description: Files that exist but could not be read as certificates or kubeconfigs, each with why.
  returned: always
  type: list
  elements: dict
now:
  description: The time the days were counted from, ISO 8601 UTC.
  returned: always
  type: str
"""

import datetime
import glob
import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.aiplatform.cluster.plugins.module_utils import cert_expiry as ce

_GLOB = ("*", "?", "[")


def _read(path):
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "replace")


def read_paths(paths, now, warn_days, fail_days):
    """(certificates, missing, problems) of ``paths``; see RETURN."""
    certs, missing, problems = [], [], []
    files = []
    for pattern in paths:
        if any(c in pattern for c in _GLOB):
            files.extend(sorted(p for p in glob.glob(pattern) if os.path.isfile(p)))
        elif os.path.exists(pattern):
            files.append(pattern)
        else:
            missing.append(pattern)
    seen = set()
    for path in files:
        if path in seen:
            continue
        seen.add(path)
        try:
            text = _read(path)
            found = []
            if ce.looks_like_kubeconfig(text):
                inline, referenced = ce.kubeconfig_references(text)
                for pem in inline:
                    found.extend((path, path, "kubeconfig", c) for c in ce.pem_certificates(pem))
                for name in referenced:
                    target = name if os.path.isabs(name) else os.path.join(os.path.dirname(path), name)
                    found.extend((target, "%s -> %s" % (path, target), "kubeconfig", c)
                                 for c in ce.pem_certificates(_read(target)))
                if not inline and not referenced:
                    raise ce.CertError("a kubeconfig without a client certificate")
            else:
                found.extend((path, path, "file", c) for c in ce.pem_certificates(text))
            if not found:
                raise ce.CertError("no certificate in it")
        except (IOError, OSError, ce.CertError) as exc:
            problems.append({"path": path, "error": str(exc)})
            continue
        for holder, source, kind, cert in found:
            entry = {"path": holder, "source": source, "kind": kind}
            entry.update(ce.describe(cert, now, warn_days, fail_days))
            certs.append(entry)
    return certs, missing, problems


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type="list", elements="str", required=True),
            warn_days=dict(type="int", default=30),
            fail_days=dict(type="int", default=7),
        ),
        supports_check_mode=True,
    )
    warn_days, fail_days = module.params["warn_days"], module.params["fail_days"]
    if fail_days < 0 or warn_days < fail_days:
        module.fail_json(msg="cert_expiry: warn_days (%d) must be >= fail_days (%d) >= 0" % (warn_days, fail_days))
    now = datetime.datetime(*time.gmtime()[:6])
    certs, missing, problems = read_paths(module.params["paths"], now, warn_days, fail_days)
    module.exit_json(changed=False, certificates=certs, missing=missing, problems=problems,
                     now=now.strftime("%Y-%m-%dT%H:%M:%SZ"))


if __name__ == "__main__":
    main()
