#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)

# The work is done by the action plugin of the same name, on the control machine; this file documents it.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: inventory_check
short_description: Stop a run whose inventory is not one platform config's
version_added: 0.1.0
description:
  - The task of C(playbooks/guard.yml), the first play of every playbook of the collection. It fails, with what
    to do, unless the inventory was built by the P(aiplatform.cluster.platform_config#inventory) inventory plugin
    from exactly one platform config, so that a run never matches no host and exits 0 having done nothing.
  - It fails when no host has C(platform_config_file) (the plugin is not enabled, found no config, or could not read
    it), naming the inventory sources (C(ansible_inventory_sources)) and the platform config files in them, the file
    names the plugin reads, the enabled inventory plugins and the C(ansible.cfg) in use, and the fix.
  - When the plugin is enabled and a source holds a config that did not become an inventory (Ansible only warns
    unless C([inventory] unparsed_is_failed) is on, and the warning may have scrolled away), it reads the config
    again and lists the plugin's problems.
  - It fails when the inventory was built from more than one config (C(platform_config_files) names several, as with
    two C(-i) site directories), naming them.
  - An inventory written by hand (a molecule scenario, a test) passes when it sets C(platform_config_file) itself,
    to the file it is written in.
  - It warns (it does not fail) when the callback P(aiplatform.cluster.stage_summary#callback) is not enabled, with
    the fix - the run would end without its table of stages and the place of its reports.
  - Runs on the control machine only, without a connection or facts.
author:
  - aiplatform.cluster contributors (@aiplatform)
options: {}
extends_documentation_fragment:
  - aiplatform.cluster.attributes
  - aiplatform.cluster.attributes.info_module
attributes:
  action:
    support: full
    description: Runs entirely in its action plugin, on the control machine.
  platform:
    support: full
    platforms: posix
    description: Runs on the control machine (POSIX); needs nothing on the host it runs for.
notes:
  - Reads C(platform_config_file) and C(platform_config_files) as the host it runs for sees them (group C(all)
    variables of the plugin), not host by host; a host added by another inventory source inherits them.
seealso:
  - plugin: aiplatform.cluster.platform_config
    plugin_type: inventory
"""

EXAMPLES = r"""
# playbooks/guard.yml
- name: Check the inventory
  hosts: "{{ 'all' if ansible_limit is defined else 'localhost' }}"
  gather_facts: false
  tags: [always]
  tasks:
    - name: Stop unless the inventory is one platform config's
      aiplatform.cluster.inventory_check:
      run_once: true
"""

RETURN = r"""
msg:
  description: The problem and its fix when the check fails; otherwise the number of hosts and the config.
  returned: always
  type: str
  sample: 4 host(s) from /home/ops/sites/acme/config.yaml
platform_config_file:
  description: The platform config the inventory was built from.
  returned: success
  type: str
  sample: /home/ops/sites/acme/config.yaml
"""
