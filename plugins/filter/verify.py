# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Filters of the cluster verification: thin wrappers over plugin_utils/verify.py.

Each filter is documented in <filter name>.yml beside this file (ansible-doc -t filter reads it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


import functools

from ansible.errors import AnsibleFilterError

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import verify
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.collection_info import collection_version, utc_now


def _wrap(function, what):
    @functools.wraps(function)  # keeps the signature, which tests/unit/collection/test_plugin_docs.py holds the docs to
    def call(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except ValueError as exc:
            raise AnsibleFilterError("%s: %s" % (what, exc))
    return call


def _report(rows, cluster_name="cluster", generated=None, config_file=None):
    """``rows | verify_report(cluster_name)``: the rows come first, as the filter's input. The header is filled in:
    ``generated`` (default: now, UTC), the collection's version, the config file."""
    return verify.build_verify_report(cluster_name, rows, generated or utc_now(), collection_version(), config_file)


class FilterModule(object):
    def filters(self):
        return {
            "verify_cluster": _wrap(verify.verify_cluster, "verify_cluster"),
            "verify_certificates": _wrap(verify.certificate_rows, "verify_certificates"),
            "verify_report": _wrap(_report, "verify_report"),
            "verify_markdown": _wrap(verify.render_markdown, "verify_markdown"),
            "verify_html": _wrap(verify.render_html, "verify_html"),
            "verify_text": _wrap(verify.render_text, "verify_text"),
        }
