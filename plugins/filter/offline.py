# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Filters of the offline bundle: thin wrappers over module_utils/offline.py.

Each filter is documented in <filter name>.yml beside this file (ansible-doc -t filter reads it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible.errors import AnsibleFilterError
from ansible_collections.aiplatform.cluster.plugins.module_utils import offline
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import offline_plan
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.filter_errors import filter_errors


def _apt_sources(os_name, arch, mirror, keyring):
    try:
        return offline.apt_sources(os_name, arch, mirror, keyring)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


def _default_mirror(own_sources, distro, builder_distro):
    try:
        return offline.default_mirror(own_sources, distro, builder_distro)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


def _canonical(ref):
    try:
        return offline.canonical_image(ref)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


def _fact_target(facts):
    return offline.target_name(offline.fact_os_name(facts.get("distribution"), facts.get("distribution_version")),
                               offline.fact_arch(facts.get("architecture")))


def _hosts(nodes):
    """{host: {node_os, node_arch, node_accelerator}} of host vars (the plan needs nothing else)."""
    return dict((n.get("inventory_hostname", "?"), {"node_os": n.get("node_os"), "node_arch": n.get("node_arch"),
                                                    "node_accelerator": n.get("node_accelerator") or {}})
                for n in nodes)


def _plan_wrap(function):
    return filter_errors("offline plan", function, (ValueError, KeyError))


class FilterModule(object):
    def filters(self):
        return {
            "offline_apt_sources": _apt_sources,
            "offline_targets": offline.targets,
            "offline_default_mirror": _default_mirror,
            "offline_canonical_image": _canonical,
            "offline_package_artifacts": offline.package_artifacts,
            "offline_image_artifacts": offline.image_artifacts,
            "offline_bundle_problems": offline.bundle_problems,
            "offline_sums_problems": offline.sums_problems,
            "offline_fact_target": _fact_target,
            "offline_push_target": offline.push_target,
            "offline_layout_refs": offline.layout_refs,
            "offline_hosts": _hosts,
            "offline_plan": _plan_wrap(offline_plan.plan),
            "offline_plan_markdown": offline_plan.markdown,
            "offline_plan_problems": offline_plan.problems,
            "offline_image_copies": _plan_wrap(offline_plan.image_copies),
            "kubernetes_sandbox_image": _plan_wrap(offline_plan.sandbox_image),
            "kubernetes_package_repo": _plan_wrap(offline_plan.kubernetes_repo_url),
            "offline_chart_file": offline_plan.chart_file_name,
            "offline_chart_entry": _plan_wrap(offline_plan.chart_entry),
            "offline_file_artifacts": offline_plan.file_artifacts,
        }
