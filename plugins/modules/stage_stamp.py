#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stage_stamp
short_description: Tell whether a stage can be skipped on this node, and record what a stage left
version_added: 0.1.0
description:
  - A stage (one role of C(site.yml)) ends by recording, on the node, the digest of its inputs and the state it
    left there (the files it owns, and the output of read-only probes such as service states and package
    versions). The next run starts the stage with I(state=check) - when the inputs digest is the same and every
    recorded file and probe still reads the same, the stage's tasks would change nothing, and the role skips them.
    See docs/stages.md.
  - The inputs digest is computed on the control machine by the action plugin of the same name (the whole
    collection's code, the versions of ansible-core and of the collections in use, every inventory variable of the
    host and of every host, the facts the stage's roles read, and the files listed in the check's
    C(controller_files), which the action reads and does not pass on). Use the action, not this module alone.
  - Where the check finds the stage must run and the play loaded the role with C(rolespec_validate=false) (as
    C(site.yml) does), the action validates the role's arguments against its C(meta/argument_specs.yml) with
    Ansible's validator, and the check fails naming every problem. An unchanged stage skips that validation too;
    a role loaded the usual way is validated by Ansible before its first task, and not again here.
  - A check that finds the node different removes the stale record, so that a stage that then fails half-way is
    never skipped afterwards. Records are bookkeeping of this collection, not node configuration - writing or
    removing one is never reported as a change.
author:
  - aiplatform.cluster contributors (@aiplatform)
options:
  stage:
    description: Name of the stage (the role).
    type: str
    required: true
  state:
    description: C(check) compares the node with the record; C(record) writes the record.
    type: str
    choices: [check, record]
    default: check
  inputs:
    description: Digest of the stage's inputs (from the action plugin).
    type: str
    required: true
  input_parts:
    description: Digest of each kind of input, to say which kind changed.
    type: dict
    default: {}
  files:
    description: Files the stage owns (with I(state=record)); glob patterns (C(*), C(**)) are expanded.
    type: list
    elements: str
    default: []
  probes:
    description:
      - Read-only commands whose output the stage's result depends on (with I(state=record)), such as
        C(systemctl is-active chrony). Run without a shell.
    type: list
    elements: str
    default: []
  stamp_dir:
    description: Directory of the records on the node.
    type: path
    default: /var/lib/aiplatform/stages
  force:
    description: With I(state=check), report the stage as not current whatever the record says.
    type: bool
    default: false
  timeout:
    description:
      - Seconds each probe may take, and reading the state of one file. A probe or a file that does not answer in
        time (a hung tool, a mount point whose NFS server is gone) is never taken as unchanged - the stage runs, and
        the reason says which one hung. After the first file that hangs, the remaining files are not read.
      - The action sets it from the inventory variable C(aiplatform_command_timeout).
    type: float
    default: 30
extends_documentation_fragment:
  - aiplatform.cluster.attributes
  - aiplatform.cluster.attributes.check_mode_only
attributes:
  action:
    description: The action plugin of the same name runs first, on the control machine, and computes O(inputs) and
      O(input_parts).
    support: full
"""

EXAMPLES = r"""
- name: Is the node as the last run of this stage left it?
  aiplatform.cluster.stage_stamp:
    stage: node_init
  register: __node_init_stamp

- name: Record what the stage left on the node
  aiplatform.cluster.stage_stamp:
    stage: node_init
    state: record
    inputs: "{{ __node_init_stamp.inputs }}"
    files: [/etc/hosts, /etc/sysctl.d/90-aiplatform*.conf]
    probes: [systemctl is-active chrony]
"""

RETURN = r"""
current:
  description: With I(state=check), the inputs and every recorded file and probe are as recorded.
  returned: always
  type: bool
reasons:
  description: Why the stage is not current (empty when it is).
  returned: always
  type: list
  elements: str
msg:
  description: One line saying that the stage is skipped as unchanged, or why it runs (the action names the host).
  returned: always
  type: str
inputs:
  description: The inputs digest checked or recorded.
  returned: always
  type: str
input_parts:
  description: Digest of each kind of input.
  returned: always
  type: dict
aiplatform_stage:
  description:
    - With I(state=check), set by the action - the stage's name and whether it is skipped as unchanged on this node.
      The callback P(aiplatform.cluster.stage_summary#callback) counts the nodes per stage from it.
  returned: with I(state=check), when the check did not fail
  type: dict
  contains:
    stage:
      description: The stage (role) name.
      type: str
      returned: always
    unchanged:
      description: The stage is skipped on this node (the same as RV(current)).
      type: bool
      returned: always
"""

import glob
import hashlib
import os
import shlex
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.aiplatform.cluster.plugins.module_utils import timed_command
from ansible_collections.aiplatform.cluster.plugins.module_utils.stage_state import (
    differences, parse_stamp, stamp_text, timed_out_file, timed_out_probe)

# Probe outputs up to this length are kept as text (so that a reason can quote them), longer ones as a digest.
_KEEP = 400


def file_state(path):
    try:
        info = os.lstat(path)
    except OSError:
        return {"type": "absent"}
    out = {"mode": "%04o" % stat.S_IMODE(info.st_mode), "owner": info.st_uid, "group": info.st_gid}
    if stat.S_ISLNK(info.st_mode):
        out.update(type="link", target=os.readlink(path))
    elif stat.S_ISDIR(info.st_mode):
        out["type"] = "directory"
    elif stat.S_ISREG(info.st_mode):
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 16), b""):
                digest.update(chunk)
        out.update(type="file", sha256=digest.hexdigest())
    else:
        out["type"] = "other"
    return out


def read_pattern(pattern):
    if glob.has_magic(pattern):
        paths = sorted(glob.glob(pattern, recursive=True))
    else:
        paths = [pattern]
    return dict((path, file_state(path)) for path in paths)


def read_files(patterns, timeout=timed_command.DEFAULT_TIMEOUT):
    """``{pattern: {path: state}}``; a pattern whose paths do not answer within ``timeout`` s (``lstat`` of a
    hung NFS mount point blocks) reads as timed out, and so does every pattern after it (the stage runs anyway)."""
    out = {}
    hung = False
    for pattern in patterns:
        done, value = (False, None) if hung else timed_command.call(read_pattern, timeout, args=(pattern,))
        if not done:
            hung = True
            value = {pattern: timed_out_file(timeout)}
        out[pattern] = value
    return out


def read_probes(module, commands, timeout=timed_command.DEFAULT_TIMEOUT):
    out = {}
    for command in commands:
        argv = shlex.split(command)
        if not argv or not module.get_bin_path(argv[0]):
            out[command] = "not installed"
            continue
        rc, stdout, stderr, timed_out = timed_command.run(argv, timeout=timeout)
        if timed_out:
            out[command] = timed_out_probe(timeout)
            continue
        text = "rc=%d\n%s" % (rc, stdout if rc == 0 else (stdout + stderr))
        out[command] = text if len(text) <= _KEEP else "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            stage=dict(type="str", required=True),
            state=dict(type="str", default="check", choices=["check", "record"]),
            inputs=dict(type="str", required=True),
            input_parts=dict(type="dict", default={}),
            files=dict(type="list", elements="str", default=[]),
            probes=dict(type="list", elements="str", default=[]),
            stamp_dir=dict(type="path", default="/var/lib/aiplatform/stages"),
            force=dict(type="bool", default=False),
            timeout=dict(type="float", default=timed_command.DEFAULT_TIMEOUT),
        ),
        supports_check_mode=True,
    )
    p = module.params
    path = os.path.join(p["stamp_dir"], p["stage"] + ".json")
    result = dict(changed=False, current=False, reasons=[], inputs=p["inputs"], input_parts=p["input_parts"],
                  stamp=path)

    if p["state"] == "record":
        text = stamp_text(p["stage"], p["inputs"], read_files(p["files"], p["timeout"]),
                          read_probes(module, p["probes"], p["timeout"]), p["input_parts"])
        if not module.check_mode:
            write(module, path, text)
        module.exit_json(**result)

    stamp = None
    try:
        with open(path) as handle:
            stamp = parse_stamp(handle.read())
    except (IOError, OSError):
        stamp = None
    if p["force"]:
        reasons = ["forced by aiplatform_skip_unchanged: false"]
    else:
        reasons = differences(stamp, p["inputs"], p["input_parts"],
                              read_files(sorted(stamp["files"]), p["timeout"]) if stamp else {},
                              read_probes(module, sorted(stamp["probes"]), p["timeout"]) if stamp else {})
    result.update(current=not reasons, reasons=reasons)
    if reasons and os.path.exists(path) and not module.check_mode:
        # Stale: the stage runs now; if it fails half-way, the next run must not trust the old record.
        try:
            os.unlink(path)
        except OSError as exc:
            module.fail_json(msg="cannot remove the stale record %s: %s" % (path, exc), **result)
    module.exit_json(**result)


def write(module, path, text):
    directory = os.path.dirname(path)
    try:
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o700)
        try:
            with open(path) as handle:
                if handle.read() == text:
                    return
        except (IOError, OSError):
            pass
        handle, temp = tempfile.mkstemp(dir=directory, prefix=".stamp-")
        with os.fdopen(handle, "w") as out:
            out.write(text)
        os.chmod(temp, 0o600)
        os.rename(temp, path)
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot write the record %s: %s" % (path, exc))


if __name__ == "__main__":
    main()
