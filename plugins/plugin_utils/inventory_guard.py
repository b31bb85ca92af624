# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Whether a run's inventory was built by the platform config plugin from exactly one config.

Pure: the action plugin aiplatform.cluster.inventory_check (the task of playbooks/guard.yml, the first play
of every playbook) collects what Ansible knows (hosts, the plugin's variables, the inventory sources and
the platform config files in them, the enabled inventory plugins) and ``problem`` says what is wrong and
what to do, or returns "".
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

PLUGIN = "aiplatform.cluster.platform_config"
FIX_ENABLE = ("[inventory] enable_plugins = %s, host_list, script (the collection's docs/examples/ansible.cfg; "
              "docs/install.md)" % PLUGIN)
NOTHING_CHANGED = "Nothing was changed."


class Source(object):
    """One inventory source (-i): its path, whether it exists, the platform config files in it."""

    def __init__(self, path, exists=True, configs=()):
        self.path = path
        self.exists = exists
        self.configs = list(configs)

    def describe(self):
        if not self.exists:
            return "%s (does not exist)" % self.path
        if self.configs:
            return "%s (platform config: %s)" % (self.path, ", ".join(self.configs))
        return "%s (no platform config in it)" % self.path


def plugin_enabled(enabled):
    """Whether the [inventory] enable_plugins list names the platform config plugin."""
    return PLUGIN in [name.strip() for name in enabled or ()]


def problem(hosts, config_file, config_files, sources, enabled, file_names, ansible_cfg=None,
            unparsed_is_failed=False, load_errors=None):
    """The message that stops the run, or "" when the inventory is one platform config's.

    hosts: number of hosts in the inventory; config_file / config_files: the plugin's variables
    ``platform_config_file`` and ``platform_config_files`` as the host running the check sees them (None when
    undefined); sources: [Source] (``ansible_inventory_sources``); enabled: the enabled inventory plugins;
    file_names: the names the plugin reads (its FILE_NAMES and patterns); ansible_cfg: the ansible.cfg in use
    (None: none); load_errors: {config path: the plugin's message} for configs the plugin did not read into the
    inventory (collected only when ``config_file`` is undefined).
    """
    where = "the ansible.cfg in use (%s)" % ansible_cfg if ansible_cfg else "Ansible's defaults (no ansible.cfg found)"
    listed = "Inventory sources: %s." % ("; ".join(s.describe() for s in sources) or "none")
    if config_file:
        read = _unique(config_files or [config_file])
        if len(read) > 1:
            return ("The inventory was built from %d platform configs: %s. One run deploys one site: the hosts of "
                    "both would be mixed and the last config's cluster settings would win. %s Fix: pass one site's "
                    "directory with -i (one platform config per inventory directory). %s"
                    % (len(read), " and ".join(read), listed, NOTHING_CHANGED))
        if hosts == 0:
            return ("The inventory (%s) has no host. %s Fix: list the nodes in the platform config. %s"
                    % (config_file, listed, NOTHING_CHANGED))
        return ""

    names = "The plugin reads files named %s." % ", ".join(file_names)
    head = ("This inventory was not built by the %s inventory plugin from a platform config (platform_config_file "
            "is not set), so the plays would %s. %s" % (
                PLUGIN, "match no host" if hosts == 0 else "run against %d host(s) the plugin did not make" % hosts,
                listed))
    if not plugin_enabled(enabled):
        return ("%s The plugin is not enabled: [inventory] enable_plugins of %s is %s, so %s. %s Fix: run from the "
                "directory that holds the site's ansible.cfg (or set ANSIBLE_CONFIG), with %s. %s"
                % (head, where, ", ".join(enabled or ()) or "empty",
                   "Ansible's own plugins read the config as plain groups (or not at all)"
                   if any(s.configs for s in sources) else "nothing can read a platform config",
                   names, FIX_ENABLE, NOTHING_CHANGED))
    found = [config for source in sources for config in source.configs]
    if not found:
        return ("%s The plugin is enabled, but no source holds a platform config. %s Fix: pass the site's inventory "
                "directory with -i (e.g. -i acme for acme/config.yaml), with the config in it under one of these "
                "names. A hand-written inventory (a test) sets platform_config_file to the file it is written in "
                "(docs/inventory.md). %s"
                % (head, names, NOTHING_CHANGED))
    load_errors = load_errors or {}
    problems = _unique(load_errors[config] for config in found if load_errors.get(config))
    stop = ("(Ansible printed it as a warning and went on with an empty inventory: [inventory] unparsed_is_failed "
            "is off in %s.)" % where if not unparsed_is_failed else "")
    tail = " ".join(part for part in (stop, NOTHING_CHANGED) if part)
    if problems:
        return ("%s The plugin stopped on:\n%s\nFix the config (ansible-inventory -i <site> --graph "
                "checks it). %s" % (head, "\n".join(problems), tail))
    return ("%s The plugin found %s but did not build the inventory: see its warning above (\"Failed to parse ... "
            "with %s plugin\"). Fix what it names (ansible-inventory -i <site> --graph checks it). %s"
            % (head, " and ".join(found), PLUGIN, tail))


def _unique(names):
    seen = []
    for name in names:
        if name not in seen:
            seen.append(name)
    return seen


CALLBACK = "aiplatform.cluster.stage_summary"


def summary_warning(callbacks, ansible_cfg=None):
    """The warning when the stage summary callback is not enabled, or "" when it is."""
    if CALLBACK in [str(name).strip() for name in callbacks or ()]:
        return ""
    where = "the ansible.cfg in use (%s)" % ansible_cfg if ansible_cfg else "Ansible's defaults (no ansible.cfg found)"
    return ("The run will end without its stage summary (per stage: time, hosts changed, failed, unreachable, skipped "
            "as unchanged; where the reports are): the callback %s is not enabled in %s. Fix: add "
            "'callbacks_enabled = %s' under [defaults] there (the collection's docs/examples/ansible.cfg has it), or "
            "export ANSIBLE_CALLBACKS_ENABLED=%s (AWX: the job template's environment variables or the execution "
            "environment's ansible.cfg; docs/install.md)." % (CALLBACK, where, CALLBACK, CALLBACK))
