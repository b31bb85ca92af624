# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: stage_summary
type: aggregate
short_description: One table at the end of a run - per stage, wall time, hosts changed, failed, unreachable, unchanged
version_added: 0.1.0
description:
  - At the end of every playbook run (C(site.yml) and the lifecycle playbooks alike), after Ansible's PLAY RECAP,
    one table with a row per stage (play) that ran a task - its wall time, the hosts it ran on, and how many of them
    it changed, failed on (failures not ignored), could not reach, and skipped as unchanged (its stage record,
    docs/stages.md; C(-) for a stage without one). Under it, the hosts that failed or were unreachable per stage,
    and where the reports written by the run are (preflight, verify).
  - It adds to the output of the stdout callback in use (C(default), C(yaml)...) and needs to be enabled -
    C(callbacks_enabled = aiplatform.cluster.stage_summary) under C([defaults]) of the ansible.cfg in use (the
    collection's C(docs/examples/ansible.cfg) has it), or C(ANSIBLE_CALLBACKS_ENABLED=aiplatform.cluster.stage_summary)
    in the environment (AWX - the job template's environment variables, or the execution environment's
    ansible.cfg). The first play of every playbook warns when it is not enabled.
  - A stage skipped as unchanged is read from the result of the stage record
    (M(aiplatform.cluster.stage_stamp) returns RV(aiplatform.cluster.stage_stamp#module:aiplatform_stage)), a
    report from the C(aiplatform_reports) fact (a list of paths) that the preflight role and C(verify.yml) set.
  - Failures in a block that rescues them count as failed, as Ansible's output shows them.
  - As each node's stage record is read (M(aiplatform.cluster.stage_stamp)), one line under the task's C(ok) line
    says whether the stage is skipped on that node as unchanged (the line starts with C(STAGE UNCHANGED)) or runs,
    and why (the line starts with C(stage <stage> runs on <host>), then the reasons).
  - Under a stdout callback whose output is a document for a program (C(json), C(jsonl)) neither those lines
    nor the table are printed, so that the document stays valid; I(summary_file) is still written.
  - Before the first play it loads the collection's filter, test and action plugins (and Ansible's common
    actions) into ansible-playbook's own process, so that the worker process Ansible forks for every task on
    every host inherits them instead of loading them again (I(preload); docs/performance.md).
author:
  - aiplatform.cluster contributors (@aiplatform)
requirements:
  - enabled in ansible.cfg (C(callbacks_enabled)) or C(ANSIBLE_CALLBACKS_ENABLED)
options:
  summary_file:
    description:
      - Also write the summary as JSON to this file on the control machine - every play (those that ran no task
        too) with its hosts per column, the reports, Ansible's recap per host; C(lab/lab.py summary) reads it.
        Nothing is written when unset.
    type: path
    env:
      - name: AIPLATFORM_STAGE_SUMMARY_FILE
    ini:
      - section: callback_stage_summary
        key: summary_file
  preload:
    description:
      - Load the collection's plugins once before the first play (see above). Only a matter of the control
        machine's CPU; turn it off to rule it out when looking into a problem.
    type: bool
    default: true
    env:
      - name: AIPLATFORM_PRELOAD_PLUGINS
    ini:
      - section: callback_stage_summary
        key: preload
"""

EXAMPLES = r"""
# ansible.cfg of the site directory (docs/examples/ansible.cfg):
#   [defaults]
#   callbacks_enabled = aiplatform.cluster.stage_summary
#
# or for one run, or in AWX (job template > Environment variables / the EE's ansible.cfg):
#   ANSIBLE_CALLBACKS_ENABLED=aiplatform.cluster.stage_summary ansible-playbook aiplatform.cluster.site -i acme
#
# The end of a run:
#   STAGE SUMMARY *****************************************************************
#   stage                   time hosts changed failed unreachable unchanged
#   Check the inventory       0s     1       0      0           0         -
#   Preflight               4m12s    4       0      0           0         -
#   Node preparation        2m05s    4       1      0           0         3
#   ...
#   total                  31m40s
#   Reports: /sites/acme/.aiplatform/reports/acme-preflight.html, /sites/acme/.aiplatform/reports/acme-verify.html
"""

import json
import os
import time

try:
    from collections.abc import Mapping
except ImportError:  # pragma: no cover - Python 2 controller is not supported
    from collections import Mapping

from ansible import constants as C
from ansible.plugins.callback import CallbackBase

from ansible_collections.aiplatform.cluster.plugins.plugin_utils.preload import preload
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.stage_summary import Summary, stage_line

# Stdout callbacks whose output is one document for a program: the table is left out (the file is still written).
MACHINE_READABLE = ("json", "jsonl")


def machine_readable(stdout_callback):
    """Whether the stdout callback prints a document a program reads (json, jsonl): the table would break it."""
    return str(stdout_callback or "").rsplit(".", 1)[-1] in MACHINE_READABLE


def _part(result, name):
    """result.host / .task / .result (ansible-core 2.19+), else the older _host / _task / _result."""
    value = getattr(result, name, None)
    if value is None or callable(value):
        value = getattr(result, "_" + name, None)
    return value


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "aiplatform.cluster.stage_summary"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.summary = Summary()
        self.clock = time.time
        self._human_output = None

    def _record(self, result, status, ignore_errors=False):
        host = _part(result, "host")
        task = _part(result, "task")
        data = _part(result, "result")
        self.summary.result(host.get_name() if host is not None else "?",
                            getattr(task, "_uuid", None) or id(task), status,
                            data if isinstance(data, Mapping) else {}, ignore_errors)

    def _option(self, name, default):
        try:
            return self.get_option(name)
        except KeyError:  # options not loaded (the plugin built by hand)
            return default

    def _human(self):
        # Asked on every task result: the stdout callback does not change during a run, so it is read once.
        if self._human_output is None:
            self._human_output = not machine_readable(C.config.get_config_value("DEFAULT_STDOUT_CALLBACK"))
        return self._human_output

    def v2_playbook_on_start(self, playbook):
        if self._option("preload", True):
            loaded, missed = preload()
            self._display.vvv("stage_summary: %d plugins loaded before the first play%s"
                              % (loaded, "; not loaded: " + ", ".join(missed) if missed else ""))

    def v2_playbook_on_play_start(self, play):
        self.summary.play_start((play.get_name() or "").strip() or "(unnamed play)", self.clock())

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")
        line = stage_line(_part(result, "result"))
        if line and self._human():
            self._display.display(line)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed", ignore_errors)

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_playbook_on_stats(self, stats):
        self.summary.close(self.clock())
        if self._human():
            self._display.banner("STAGE SUMMARY")
            for line in self.summary.render():
                self._display.display(line)
        path = self._option("summary_file", None)
        if path:
            recap = dict((host, stats.summarize(host)) for host in sorted(stats.processed.keys()))
            try:
                with open(os.path.expanduser(path), "w") as handle:
                    json.dump(self.summary.as_dict(recap), handle, indent=1, sort_keys=True)
                    handle.write("\n")
            except (IOError, OSError) as exc:
                self._display.warning("stage_summary: cannot write %s: %s" % (path, exc))
