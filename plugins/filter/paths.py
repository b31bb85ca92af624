# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Filters over the path rules of plugins/module_utils/safe_paths.py (docs: path_problem.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aiplatform.cluster.plugins.module_utils.safe_paths import path_error


def path_problem(path, min_depth=2):
    """What is wrong with ``path`` and the fix, in one sentence; ``""`` when it is safe."""
    return path_error(path, int(min_depth))


class FilterModule(object):
    def filters(self):
        return {"path_problem": path_problem}
