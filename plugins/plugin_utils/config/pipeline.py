# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""One call from a config file's text to the inventory model, with every problem found.

Pure: text in, :class:`Result` out. The inventory plugin, the docs generator
and the unit tests all go through :func:`parse`.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config import legacy as config_legacy
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.loader import load_text, plain
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.model import build
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.problems import errors
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.schema import validate


class Result(object):
    """``model`` is None when there are errors; ``problems`` holds them all."""

    __slots__ = ("format", "config", "model", "problems")

    def __init__(self, fmt=None, config=None, model=None, problems=None):
        self.format = fmt
        self.config = config
        self.model = model
        self.problems = problems or []

    @property
    def errors(self):
        return errors(self.problems)


def parse(text, filename, default_name="cluster"):
    """Parse a native, DLWS or OpenPAI config. ``default_name``: cluster name when the format has none."""
    loaded = load_text(text, filename)
    problems = list(loaded.problems)
    if loaded.data is None:
        return Result(problems=problems)
    raw = loaded.data
    fmt = config_legacy.detect_format(raw)
    origins = None
    extra_groups = None
    if fmt == config_legacy.DLWS:
        converted = config_legacy.convert_dlws(raw, filename)
    elif fmt == config_legacy.OPENPAI:
        converted = config_legacy.convert_openpai(raw, filename, default_name)
    else:
        converted = None
    if converted is not None:
        problems.extend(converted.problems)
        origins = converted.origins
        extra_groups = converted.extra_groups
        native_in = plain(converted.config)
    else:
        native_in = raw
    config, schema_problems = validate(native_in, filename, origins)
    problems.extend(schema_problems)
    # Cross-key rules run even after schema errors, so that the user sees every
    # problem at once; nodes without a usable host name are left out of them.
    checked = dict(config)
    checked["nodes"] = [n for n in config.get("nodes", []) if isinstance(n.get("hostname"), str)]
    model, model_problems = build(checked, raw if converted is None else native_in, filename, origins,
                                  extra_groups, legacy=converted is not None,
                                  partial=len(checked["nodes"]) < len(config.get("nodes", [])))
    problems.extend(model_problems)
    if errors(problems):
        return Result(fmt, config, None, problems)
    return Result(fmt, config, model, problems)
