# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""The stage summary of a run (callback aiplatform.cluster.stage_summary): pure bookkeeping and rendering.

A stage is a play. Per stage: its wall time, the tasks that ran, and per host what happened: a change, a failure
(not ignored), no connection, the stage skipped as unchanged (the ``aiplatform_stage`` field the stage_stamp
action returns, docs/stages.md). Reports are the paths the ``aiplatform_reports`` fact names (set by the preflight
role and verify.yml).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from collections.abc import Mapping, Sequence
except ImportError:  # pragma: no cover - Python 2 controller is not supported
    from collections import Mapping, Sequence

# What a host did in a stage; a host counts once per column.
COLUMNS = ("changed", "failed", "unreachable", "unchanged")
# Hosts named under the table, per column, before "and N more".
NAMED = 5


def duration(seconds):
    """``7s``, ``4m05s``, ``1h02m``: wall time, short."""
    seconds = int(round(max(seconds, 0)))
    if seconds < 60:
        return "%ds" % seconds
    if seconds < 3600:
        return "%dm%02ds" % (seconds // 60, seconds % 60)
    return "%dh%02dm" % (seconds // 3600, (seconds % 3600) // 60)


def stage_line(result):
    """The line printed under a stage record's ``ok`` line: the record's message (STAGE UNCHANGED: ..., or why the
    stage runs), indented; None for any other result (no ``aiplatform_stage`` field, or no message)."""
    if not isinstance(result, Mapping) or not isinstance(result.get("aiplatform_stage"), Mapping):
        return None
    message = result.get("msg")
    if not isinstance(message, str) or not message.strip():
        return None
    return "  " + " ".join(message.split())


class Stage(object):
    def __init__(self, name, started):
        self.name = name
        self.started = started
        self.ended = started
        self.tasks = set()
        self.hosts = set()
        self.marks = dict((column, set()) for column in COLUMNS)
        self.records = set()  # stage records (stage_stamp) seen: the stage can be skipped as unchanged

    def as_dict(self):
        out = {"name": self.name, "seconds": round(self.ended - self.started, 1), "tasks": len(self.tasks),
               "hosts": sorted(self.hosts), "records": sorted(self.records)}
        for column in COLUMNS:
            out[column] = sorted(self.marks[column])
        return out


class Summary(object):
    """Fed by the callback, in the order of the run."""

    def __init__(self):
        self.stages = []
        self.reports = []

    def play_start(self, name, now):
        self.close(now)
        self.stages.append(Stage(name, now))

    def close(self, now):
        if self.stages:
            self.stages[-1].ended = now

    def result(self, host, task_id, status, result, ignore_errors=False):
        """One task result: ``status`` is ok, failed, unreachable or skipped; ``result`` the module's dict."""
        if not self.stages:
            self.play_start("(no play)", 0)
        stage = self.stages[-1]
        stage.hosts.add(host)
        result = result if isinstance(result, Mapping) else {}
        if status != "skipped":
            stage.tasks.add(task_id)
        if status == "unreachable":
            stage.marks["unreachable"].add(host)
        elif status == "failed" and not ignore_errors:
            stage.marks["failed"].add(host)
        if status in ("ok", "failed") and result.get("changed"):
            stage.marks["changed"].add(host)
        record = result.get("aiplatform_stage")
        if isinstance(record, Mapping) and record.get("stage"):
            stage.records.add(str(record["stage"]))
            if record.get("unchanged"):
                stage.marks["unchanged"].add(host)
        facts = result.get("ansible_facts") if status == "ok" else None
        reports = facts.get("aiplatform_reports") if isinstance(facts, Mapping) else None
        for path in reports if isinstance(reports, Sequence) and not isinstance(reports, str) else []:
            if path and str(path) not in self.reports:
                self.reports.append(str(path))

    def ran(self):
        """The stages in which a task ran on some host (a play left out by --tags or matching no host is not)."""
        return [s for s in self.stages if s.tasks]

    def as_dict(self, recap=None):
        """Every stage (play) in the order of the run, those that ran no task too (``tasks`` 0)."""
        return {"stages": [s.as_dict() for s in self.stages], "reports": list(self.reports), "recap": recap or {}}

    def render(self, width=40):
        """The table, the hosts that failed or were unreachable, where the reports are."""
        stages = self.ran()
        if not stages:
            return ["No stage ran a task."]
        name_width = min(max([len("stage")] + [len(s.name) for s in stages]), width)
        head = "%-*s %7s %5s %7s %6s %11s %9s" % (name_width, "stage", "time", "hosts", "changed", "failed",
                                                    "unreachable", "unchanged")
        lines = [head]
        total = 0.0
        for s in stages:
            seconds = s.ended - s.started
            total += seconds
            name = s.name if len(s.name) <= name_width else s.name[:name_width - 3] + "..."
            lines.append("%-*s %7s %5d %7d %6d %11d %9s" % (
                name_width, name, duration(seconds), len(s.hosts), len(s.marks["changed"]), len(s.marks["failed"]),
                len(s.marks["unreachable"]), len(s.marks["unchanged"]) if s.records else "-"))
        lines.append("%-*s %7s" % (name_width, "total", duration(total)))
        for column in ("failed", "unreachable"):
            named = []
            for s in stages:
                if s.marks[column]:
                    hosts = sorted(s.marks[column])
                    more = len(hosts) - NAMED
                    named.append("%s: %s%s" % (s.name, ", ".join(hosts[:NAMED]),
                                               (" and %d more" % more) if more > 0 else ""))
            if named:
                lines.append("%s %s" % (column.capitalize() + ":", "; ".join(named)))
        if self.reports:
            lines.append("Reports: %s" % ", ".join(self.reports))
        return lines
