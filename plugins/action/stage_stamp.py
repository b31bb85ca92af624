# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Action of aiplatform.cluster.stage_stamp: the inputs digest, computed on the control machine.

The module (run on the node) compares it, and the files and probes of the record, with what the last
run of the stage left; see plugins/modules/stage_stamp.py and docs/stages.md.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.aiplatform.cluster.plugins.module_utils.stage_state import message
from ansible_collections.aiplatform.cluster.plugins.module_utils.timed_command import DEFAULT_TIMEOUT
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import stage_inputs

MODULE = "aiplatform.cluster.stage_stamp"
# Besides its role, a stage's code is the collection's plugins and playbooks.
_SHARED_CODE = ("plugins", "playbooks")


def _hash_tree(root, digest):
    for relative in stage_inputs.role_files(root):
        digest.update(relative.encode("utf-8") + b"\0")
        with open(os.path.join(root, relative), "rb") as handle:
            digest.update(handle.read())
        digest.update(b"\0")


def _cached(name, compute):
    """``compute()``, once per ansible-playbook run (its local temporary directory is shared by the workers)."""
    directory = C.DEFAULT_LOCAL_TMP
    path = os.path.join(directory, "aiplatform-stage-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:32])
    try:
        with open(path) as handle:
            return json.load(handle)
    except (IOError, OSError, ValueError):
        pass
    value = compute()
    try:
        temp = "%s.%d" % (path, os.getpid())
        with open(temp, "w") as handle:
            json.dump(value, handle)
        os.rename(temp, path)
    except (IOError, OSError):
        pass
    return value


def code_digest(role_path):
    collection = os.path.dirname(os.path.dirname(os.path.realpath(role_path)))
    digest = hashlib.sha256()
    _hash_tree(os.path.realpath(role_path), digest)
    for name in _SHARED_CODE:
        if os.path.isdir(os.path.join(collection, name)):
            digest.update(name.encode("utf-8") + b"/\0")
            _hash_tree(os.path.join(collection, name), digest)
    return digest.hexdigest()


def scan(role_path):
    root = os.path.realpath(role_path)
    files = {}
    for relative in stage_inputs.role_files(root):
        if relative.endswith((".yml", ".yaml", ".j2")):
            with open(os.path.join(root, relative)) as handle:
                files[relative] = handle.read()
    return stage_inputs.scan_role(files).as_dict()


def _flat(items):
    """A list of strings from a list whose items may be lists (a templated list inside the task's list)."""
    out = []
    for item in items or []:
        if isinstance(item, (list, tuple)):
            out.extend(_flat(item))
        elif item is not None and str(item):
            out.append(str(item))
    return out


def _controller_file(path):
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except (IOError, OSError):
        return "absent"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("stage", "state", "inputs", "input_parts", "files", "probes", "controller_files",
                             "stamp_dir", "timeout"))

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._task.args
        stage = args.get("stage")
        state = args.get("state", "check")
        if not stage:
            raise AnsibleActionFail("stage_stamp: 'stage' is required (the role's name)")
        module_args = dict(stage=stage, state=state, files=_flat(args.get("files")), probes=_flat(args.get("probes")))
        if args.get("stamp_dir"):
            module_args["stamp_dir"] = args["stamp_dir"]
        module_args["timeout"] = self.timeout(args, task_vars)
        if state == "check":
            role_path = task_vars.get("role_path")
            if not role_path:
                raise AnsibleActionFail("stage_stamp: state=check runs inside a role (no role_path here)")
            inputs, parts = self.inputs(str(role_path), task_vars, args.get("controller_files") or [])
            module_args.update(inputs=inputs, input_parts=parts,
                               force=not boolean(task_vars.get("aiplatform_skip_unchanged", True), strict=False))
        else:
            if not args.get("inputs"):
                raise AnsibleActionFail("stage_stamp: state=record needs 'inputs' (the digest the check returned)")
            module_args.update(inputs=args["inputs"], input_parts=args.get("input_parts") or {})
        result.update(self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars))
        if "reasons" in result:
            host = task_vars.get("inventory_hostname", "")
            result["msg"] = (message(stage, host, result["reasons"]) if state == "check"
                             else "%s: recorded what stage %s left" % (host, stage))
        if state == "check" and "current" in result and not result.get("failed"):
            # Read by the stage_summary callback (its "unchanged" column), rather than the text of msg.
            result["aiplatform_stage"] = {"stage": stage, "unchanged": bool(result["current"])}
        return result

    def timeout(self, args, task_vars):
        """Seconds per probe: the task's ``timeout`` argument, else ``aiplatform_command_timeout``, else 30.

        Not an input of the stage: a longer or shorter wait does not change what the stage does."""
        value = args.get("timeout")
        if value is None:
            value = self._templar.template(task_vars.get("aiplatform_command_timeout", DEFAULT_TIMEOUT))
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            seconds = -1
        if seconds <= 0:
            raise AnsibleActionFail("stage_stamp: aiplatform_command_timeout is %r; it must be a number of seconds "
                                    "above 0 (default %d)" % (value, DEFAULT_TIMEOUT))
        return seconds

    def inputs(self, role_path, task_vars, controller_files):
        code = _cached("code:" + role_path, lambda: code_digest(role_path))
        refs_data = _cached("scan:%s:%s" % (role_path, code), lambda: scan(role_path))
        refs = stage_inputs.References()
        refs.names.update(refs_data["names"])
        refs.facts.update(refs_data["facts"])
        refs.hostvars.update(refs_data["hostvars"])
        refs.whole.update(refs_data["whole"])
        values = stage_inputs.closure(refs, task_vars)
        all_facts = task_vars.get("ansible_facts") or {}
        if "ansible_facts" in refs.whole:
            facts = dict((k, v) for k, v in all_facts.items() if k not in stage_inputs.VOLATILE_FACTS)
        else:
            facts = dict((k, all_facts.get(k, stage_inputs.UNDEFINED)) for k in sorted(refs.facts))
        hostvars = {}
        if refs.hostvars or "hostvars" in refs.whole:
            keys = sorted(refs.hostvars)
            hosts = task_vars.get("hostvars")
            names = sorted((task_vars.get("groups") or {}).get("all", []))
            # The same for every host of the stage: read once per run, not once per host (N x N lookups).
            hostvars = _cached("hostvars:%s:%s:%s" % (role_path, ",".join(keys), ",".join(names)),
                               lambda: dict((host, dict((k, self._other(hosts, host, k)) for k in keys))
                                            for host in names))
        files = dict((p, _controller_file(p)) for p in _flat(controller_files))
        return stage_inputs.digest(code, values, facts, hostvars, files)

    @staticmethod
    def _other(hosts, host, key):
        try:
            return stage_inputs.canonical(hosts[host][key])
        except Exception:  # an undefined or failing variable of another host reads as undefined
            return stage_inputs.UNDEFINED
