# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: registry_password
short_description: The site registry's password - the config's, else the one generated once on the control machine
version_added: 0.1.0
description:
  - C(registry.local.password) of the platform config (the inventory variable C(platform_registry)) when it is set.
  - Otherwise the password kept in a file on the control machine, generated on first use by
    P(ansible.builtin.password#lookup) (32 letters and digits; file 0600, directory 0700; concurrent forks wait on a
    lock file) and read back by every later run.
  - The one definition the roles that need the password share (registry, container_runtime, offline); docs/registry.md
    says how to rotate it.
  - Like P(ansible.builtin.password#lookup), the first use writes the file, in check mode too.
author:
  - aiplatform.cluster contributors (@aiplatform)
options:
  _terms:
    description:
      - The password file. Default C(<platform_artifacts_dir>/registry/password) (C(platform_artifacts_dir) is the
        C(.aiplatform) directory next to the config; without it C(.aiplatform) next to the playbook).
      - A path with a space in it is not supported (P(ansible.builtin.password#lookup) reads its options from the
        same term).
    type: list
    elements: path
    required: false
"""

EXAMPLES = r"""
- name: List the site registry's repositories
  ansible.builtin.uri:
    url: "https://{{ registry }}/v2/_catalog"
    url_username: "{{ platform_registry.local.username | default('', true) or 'aiplatform' }}"
    url_password: "{{ lookup('aiplatform.cluster.registry_password') }}"
    force_basic_auth: true
  no_log: true

# A role default that may be pointed at another file (roles/registry/defaults/main.yml):
#   registry_password: "{{ lookup('aiplatform.cluster.registry_password', registry_password_file) }}"
"""

RETURN = r"""
_raw:
  description: The password (one item).
  type: list
  elements: str
"""

import os

from ansible.errors import AnsibleError
from ansible.plugins.loader import lookup_loader
from ansible.plugins.lookup import LookupBase

# What a generated password is made of.
LENGTH = 32
CHARS = ["ascii_letters", "digits"]


def configured_password(platform_registry):
    """``registry.local.password`` of the config's registry section, or '' when unset."""
    local = platform_registry.get("local") if isinstance(platform_registry, dict) else None
    password = local.get("password") if isinstance(local, dict) else None
    return str(password) if password else ""


def default_file(artifacts_dir, playbook_dir):
    """``<platform_artifacts_dir>/registry/password``; ``<playbook_dir>/.aiplatform/registry/password`` without it."""
    return os.path.join(str(artifacts_dir or os.path.join(str(playbook_dir or "."), ".aiplatform")), "registry",
                        "password")


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        variables = variables or {}
        if len(terms) > 1:
            raise AnsibleError("registry_password takes one password file, got %d terms" % len(terms))
        value = lambda name: self._templar.template(variables.get(name))  # noqa: E731
        password = configured_password(value("platform_registry"))
        if password:
            return [password]
        path = terms[0] if terms else default_file(value("platform_artifacts_dir"), value("playbook_dir"))
        generate = lookup_loader.get("ansible.builtin.password", loader=self._loader, templar=self._templar)
        return generate.run([path], variables, length=LENGTH, chars=CHARS)
