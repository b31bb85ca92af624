# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: platform_config
short_description: Inventory from one platform config (native, DLWS config.yaml, OpenPAI layout.yaml)
version_added: 0.1.0
description:
  - Reads the site's platform config from an inventory directory and builds the whole inventory from it
    (groups, host variables, node labels, cluster-wide group variables), so nothing is written twice by hand.
  - Accepts the native format (C(platform.yml), or C(config.yaml) with C(cluster) and C(nodes) keys), a DLWS/Apulis
    C(config.yaml) as users have it, and an OpenPAI C(layout.yaml). The format is detected from the content.
  - Validation is strict and reports every problem at once, each naming the file, line, key or host and the fix.
    Any error stops the run (see C(any_unparsed_is_failed) in C(ansible.cfg)); warnings are shown and the run goes on.
  - Groups C(kube_control_plane), C(kube_node), C(etcd), C(k8s_cluster), C(nvidia_gpu), C(ascend_npu), C(nfs_server),
    C(registry), C(arch_amd64), C(arch_arm64) always exist; DLWS C(scale_up) nodes also join C(scale_up); every node
    with an accelerator model joins C(accelerator_<model>).
  - The key reference is docs/config.md in the collection.
extends_documentation_fragment:
  - constructed
options:
  plugin:
    description: Marker naming this plugin; optional in the file, since the file name selects the plugin.
    type: str
    choices: ['aiplatform.cluster.platform_config']
"""

EXAMPLES = r"""
# inventories/customer/config.yaml is the customer's DLWS config, unchanged:
#   ansible-inventory -i inventories/customer --graph
#
# inventories/site/platform.yml, native format with Constructable options:
#   schema_version: 1
#   cluster: {name: gpu-lab, domain: lab.example}
#   ssh: {user: ops, port: 2222}
#   nodes:
#     - {hostname: cp-01, ip: 10.0.0.11, roles: [control_plane, worker]}
#   inventory:
#     keyed_groups:
#       - key: node_os
#         prefix: os
"""

import contextlib
import gc
import os
import re

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable
from ansible.utils.display import Display

from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.loader import VaultText
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.problems import folded, report, warnings
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.schema import HAS_NETADDR
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.pipeline import parse

try:  # ansible-core >= 2.19 templates only expressions marked as trusted
    from ansible.template import trust_as_template
except ImportError:  # pragma: no cover - older ansible-core trusts every string

    def trust_as_template(value):
        return value

display = Display()

_TEMPLATE_SYNTAX = re.compile(r"{{|{%|{#")

# Files this plugin claims inside an inventory directory.
FILE_NAMES = ("platform.yml", "platform.yaml", "config.yml", "config.yaml", "layout.yml", "layout.yaml")
# ... and any name that ends with one of these (acme.platform.yml).
FILE_SUFFIXES = (".platform.yml", ".platform.yaml")
_CONSTRUCTABLE = ("compose", "groups", "keyed_groups", "strict", "leading_separator", "use_extra_vars")


class InventoryModule(BaseInventoryPlugin, Constructable):
    """Inventory from a platform config."""

    NAME = "aiplatform.cluster.platform_config"

    def verify_file(self, path):
        if not super(InventoryModule, self).verify_file(path):
            return False
        return is_config_name(os.path.basename(path))

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        with _cyclic_gc_paused():
            result = load(path, warn=display.warning)
            self._populate(result, path)

    def _populate(self, result, path):
        model = result.model
        inventory = self.inventory
        for group in model.groups:
            inventory.add_group(group)
        for parent, children in model.children.items():
            inventory.add_group(parent)
            for child in children:
                inventory.add_child(parent, child)
        for name, value in model.group_vars.get("all", {}).items():
            inventory.set_variable("all", name, self._ansible_value(value))
        inventory.set_variable("all", "platform_config_file", self._ansible_value(os.path.abspath(path)))
        # Every config read into this inventory (one per -i source the plugin claimed): the playbooks' first
        # play (playbooks/guard.yml) stops a run whose inventory mixes two sites.
        read = [name for name in inventory.groups["all"].vars.get("platform_config_files", [])
                if name != os.path.abspath(path)]
        inventory.set_variable("all", "platform_config_files",
                               self._ansible_value(read + [os.path.abspath(path)]))
        # What the playbooks make on the control machine (site CA, kubeconfig, backups) lives next to the config.
        inventory.set_variable("all", "platform_artifacts_dir",
                               self._ansible_value(os.path.join(os.path.dirname(os.path.abspath(path)), ".aiplatform")))
        inventory.set_variable("all", "platform_config_format", self._ansible_value(result.format))
        for host, host_vars in model.hosts.items():
            inventory.add_host(host)
            for name, value in host_vars.items():
                inventory.set_variable(host, name, self._ansible_value(value))
        for group, members in model.groups.items():
            for host in members:
                inventory.add_child(group, host)
        self._construct(result, model)

    def _construct(self, result, model):
        inventory_options = result.config.get("inventory") or {}
        unknown = sorted(set(inventory_options) - set(_CONSTRUCTABLE))
        if unknown:
            raise AnsibleParserError("inventory: unknown option(s) %s. Fix: use only %s"
                                     % (", ".join(unknown), ", ".join(_CONSTRUCTABLE)))
        if not inventory_options:
            return  # nothing to construct: skip the per-host templating
        # The Constructable options are expressions the site wrote into its own
        # config file: trusted like a constructed.yml would be.
        self.set_options(direct=dict((k, _trusted(v)) for k, v in inventory_options.items()))
        strict = self.get_option("strict")
        for host in model.hosts:
            host_vars = self.inventory.get_host(host).get_vars()
            self._set_composite_vars(self.get_option("compose"), host_vars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), host_vars, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), host_vars, host, strict=strict)

    def _ansible_value(self, value):
        """Hand a config value to Ansible.

        Vault markers become Ansible's own encrypted values (decrypted only when used).
        A string with template syntax stays untrusted: the config's values are data, never
        templates (a Helm value like "{{ .Release.Name }}" passes through as written). Any
        other string is marked trusted, which changes nothing when it is used (there is
        nothing to render) but spares Ansible the untrusted-value bookkeeping: on a
        2,000-node site `ansible-inventory --list` prints half the bytes and runs ~20% faster.
        """
        if isinstance(value, str):
            return value if _TEMPLATE_SYNTAX.search(value) else trust_as_template(value)
        if isinstance(value, VaultText):
            return self._vault(value.ciphertext)
        if isinstance(value, dict):
            return dict((k, self._ansible_value(v)) for k, v in value.items())
        if isinstance(value, list):
            return [self._ansible_value(v) for v in value]
        return value

    def _vault(self, ciphertext):
        # Going through the loader keeps this independent of the Ansible version's vault classes.
        lines = "\n".join("  " + line for line in ciphertext.strip().splitlines())
        return self.loader.load("value: !vault |\n%s\n" % lines, show_content=False)["value"]


@contextlib.contextmanager
def _cyclic_gc_paused():
    """Pause Python's cyclic garbage collector while the inventory is built.

    A large config makes hundreds of thousands of objects that all stay alive; every burst of
    allocations makes the collector walk them again, ~40% of the parse on a 2,000-node site
    (docs/benchmarks.md). What is built here is kept, so the collector would free next to
    nothing; reference counting still frees everything else. The previous state is restored.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load(path, warn=None):
    """The parse of the platform config at ``path`` (its model and problems), as the plugin reads it.

    ``warn`` is called with each warning's text first, whether or not the config loads; a warning repeated per
    node comes once, with the count and the first few nodes (config_problems.folded).
    Raises AnsibleParserError with every problem found when it cannot be turned into an inventory: the
    plugin raises it to Ansible, and playbooks/guard.yml reads a config again with it to list the problems
    when Ansible only warned (``unparsed_is_failed`` off).
    """
    if not HAS_NETADDR:
        raise AnsibleParserError("%s: the Python package netaddr is missing on the control machine. "
                                 "Fix: pip install -r requirements.txt" % path)
    directory = os.path.dirname(os.path.abspath(path))
    try:
        names = os.listdir(directory)
    except OSError:
        names = []
    message = one_config_problem(directory, names)
    if message:
        raise AnsibleParserError(message)
    try:
        with open(path, "rb") as handle:
            text = to_text(handle.read(), errors="surrogate_or_strict")
    except (IOError, OSError, UnicodeError) as exc:
        raise AnsibleParserError("%s: cannot read the platform config: %s" % (path, to_native(exc))) from exc
    result = parse(text, path, default_name=_dns_label(os.path.basename(directory)))
    for text in folded(warnings(result.problems)) if warn else ():
        warn(text)
    if result.model is None:
        raise AnsibleParserError(report(result.problems, path))
    return result


def is_config_name(name):
    """A file name this plugin claims inside an inventory directory."""
    return name in FILE_NAMES or name.endswith(FILE_SUFFIXES)


def one_config_problem(directory, names):
    """An error message when ``directory`` holds more than one platform config file, else ``""``.

    Ansible reads every file of an inventory directory, and each config would add its own nodes and
    overwrite the other's cluster-wide settings without a word: one site, one config.
    """
    found = sorted(n for n in names if is_config_name(n) and os.path.isfile(os.path.join(directory, n)))
    if len(found) < 2:
        return ""
    return ("%s holds %d platform config files: %s. Ansible would read them all into one inventory (two "
            "clusters in one, and the last file's cluster settings silently win). Fix: keep one platform config "
            "per inventory directory: move the others into a directory of their own (one per site), or delete them."
            % (directory, len(found), " and ".join(os.path.join(directory, n) for n in found)))


def _trusted(value):
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return dict((k, _trusted(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_trusted(v) for v in value]
    return value


def _dns_label(text):
    label = "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
    return label[:63] or "cluster"
