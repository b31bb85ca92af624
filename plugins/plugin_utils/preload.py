# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Load the collection's controller-side plugins once, in ansible-playbook's own process (docs/performance.md).

Ansible runs every task on every host in a worker process forked from ansible-playbook. A worker starts with
what its parent had loaded, and loads the rest itself: the collection's filter and test plugins (and the
plugin_utils they import) the task's templates call, its action plugin, Ansible's action plugin for modules.
Loaded in the worker, that work dies with it and the next task on the next host does it again: measured on the
bench lab, about a sixth of the control machine's CPU of a rerun (docs/performance.md). Loaded here, once,
before the first play, every worker inherits it.

Nothing here may stop a run: a plugin that does not load is left to load (and fail, with Ansible's own error)
where a task uses it. ``preload()`` returns what it loaded and what it could not, for the callback's -vvv line.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

COLLECTION = "aiplatform.cluster"
# Ansible's action plugins that nearly every task of the collection's playbooks goes through: ``normal`` runs
# every module; the others are the actions the roles use most.
BUILTIN_ACTIONS = ("normal", "debug", "set_fact", "assert", "fail", "template", "copy", "command",
                   "include_vars", "validate_argument_spec", "package", "service")
# The collection's jinja plugins: a documented plugin has a <name>.yml beside its module (plugins/filter/*.yml,
# plugins/test/*.py's DOCUMENTATION); the names are read from the files, never imported to be listed.
PLUGIN_KINDS = ("filter", "test")


def plugins_dir():
    """The collection's plugins/ directory (this file is plugins/plugin_utils/preload.py)."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def names(directory, kind):
    """The collection's plugin names of ``kind`` found in ``directory`` (plugins/<kind>/), sorted.

    filter: one documentation file per filter (<name>.yml); test and action: one module per plugin (<name>.py)."""
    folder = os.path.join(directory, kind)
    try:
        entries = os.listdir(folder)
    except OSError:
        return []
    suffix = ".yml" if kind == "filter" else ".py"
    found = set()
    for entry in entries:
        name, ext = os.path.splitext(entry)
        if ext == suffix and not name.startswith("_") and name != "__init__":
            found.add(name)
    return sorted(found)


def preload(loaders=None, directory=None):
    """Load the collection's filters, tests and actions and Ansible's common actions into this process.

    ``loaders``: {"filter": loader, "test": loader, "action": loader} (Ansible's plugin loaders when None).
    Returns (number loaded, [names that did not load])."""
    if loaders is None:
        from ansible.plugins.loader import action_loader, filter_loader, test_loader

        loaders = {"filter": filter_loader, "test": test_loader, "action": action_loader}
    directory = directory or plugins_dir()
    wanted = [(kind, "%s.%s" % (COLLECTION, name)) for kind in PLUGIN_KINDS for name in names(directory, kind)]
    wanted += [("action", "%s.%s" % (COLLECTION, name)) for name in names(directory, "action")]
    wanted += [("action", "ansible.builtin." + name) for name in BUILTIN_ACTIONS]
    loaded, missed = 0, []
    for kind, name in wanted:
        try:
            plugin = (loaders[kind].get(name, class_only=True) if kind == "action" else loaders[kind].get(name))
        except Exception:  # pylint: disable=broad-except  # left to load (and fail) where a task uses it
            plugin = None
        if plugin is None:
            missed.append(name)
        else:
            loaded += 1
    return loaded, missed
