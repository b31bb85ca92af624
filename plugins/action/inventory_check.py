# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Action of aiplatform.cluster.inventory_check: stop a run whose inventory is not one platform config's.

Runs on the control machine only (no module, no connection). What it checks and says:
plugins/plugin_utils/inventory_guard.py; where it runs: playbooks/guard.yml; why: docs/design.md.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase

from ansible_collections.aiplatform.cluster.plugins.inventory import platform_config
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import inventory_guard


def file_names():
    """The names the inventory plugin claims, from its own constants."""
    return list(platform_config.FILE_NAMES) + ["*" + suffix for suffix in platform_config.FILE_SUFFIXES]


def source(path):
    """An inventory source (as in ansible_inventory_sources) and the platform config files in it."""
    if os.path.isdir(path):
        try:
            names = sorted(os.listdir(path))
        except OSError:
            names = []
        configs = [os.path.join(path, n) for n in names
                   if platform_config.is_config_name(n) and os.path.isfile(os.path.join(path, n))]
        return inventory_guard.Source(path, True, configs)
    if os.path.isfile(path):
        configs = [path] if platform_config.is_config_name(os.path.basename(path)) else []
        return inventory_guard.Source(path, True, configs)
    return inventory_guard.Source(path, False)


def load_error(path):
    """The plugin's message for a config it could not read, or "" when it reads now."""
    try:
        platform_config.load(path)
    except AnsibleError as exc:
        return to_native(exc)
    except Exception as exc:  # pylint: disable=broad-except - the plugin's own failure, reported as it is
        return "%s: %s" % (path, to_native(exc))
    return ""


class ActionModule(ActionBase):
    """Fail with what to do unless the inventory was built by the platform config plugin from one config."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset()

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        hosts = len((task_vars.get("groups") or {}).get("all") or [])
        config_file = self._templar.template(task_vars.get("platform_config_file"))
        config_files = self._templar.template(task_vars.get("platform_config_files"))
        sources = [source(to_native(p)) for p in task_vars.get("ansible_inventory_sources") or []]
        enabled = list(C.config.get_config_value("INVENTORY_ENABLED") or [])
        load_errors = {}
        if not config_file and inventory_guard.plugin_enabled(enabled):
            # Ansible only warned (or its warning scrolled away): read the configs again for their problems.
            load_errors = dict((c, load_error(c)) for s in sources for c in s.configs)
        message = inventory_guard.problem(
            hosts, to_native(config_file) if config_file else None,
            [to_native(c) for c in config_files] if isinstance(config_files, (list, tuple)) else None,
            sources, enabled, file_names(), ansible_cfg=C.CONFIG_FILE,
            unparsed_is_failed=bool(C.config.get_config_value("INVENTORY_UNPARSED_IS_FAILED")),
            load_errors=load_errors)
        result["changed"] = False
        if message:
            result["failed"] = True
            result["msg"] = message
        else:
            result["msg"] = "%d host(s) from %s" % (hosts, to_native(config_file))
            result["platform_config_file"] = to_native(config_file)
        # Once per run (Ansible shows a warning once): the table at the end needs its callback.
        warning = inventory_guard.summary_warning(C.config.get_config_value("CALLBACKS_ENABLED"), C.CONFIG_FILE)
        if warning:
            result["warnings"] = [warning]
        return result
