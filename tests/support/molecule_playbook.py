"""Run a playbook against a molecule scenario's nodes, from the scenario's verifier (testinfra).

One runner for every verifier that runs playbooks (etcd, kubeadm, registry): molecule's own ansible.cfg and
inventory (``MOLECULE_EPHEMERAL_DIRECTORY``), the collection from this checkout (``.collections``), plain
output (no colour, the default callback with YAML results), from the scenario's directory
(``MOLECULE_SCENARIO_DIRECTORY``, so ``converge.yml`` is the scenario's). Molecule runs the verifier's pytest
with no path of ours; a verifier imports this file with::

    PROJECT = ...  # the checkout: two levels above molecule/<scenario>/
    sys.path.insert(0, os.path.join(PROJECT, "tests", "support"))
    from molecule_playbook import collection_playbook, flat, run_playbook  # noqa: E402

tests/unit/support/test_molecule_playbook.py runs it against localhost with a made-up scenario.
"""
import os
import re
import subprocess
import sys

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def collection_playbook(name):
    """The path of a playbook of the collection: ``collection_playbook("backup.yml")``."""
    return os.path.join(PROJECT, "playbooks", name)


def run_playbook(playbook, *extra, timeout=900):
    """``ansible-playbook PLAYBOOK EXTRA...`` against the scenario's inventory -> ``(rc, output)``.

    ``playbook``: a path (a relative one is the scenario directory's); ``extra``: more arguments (``--check``,
    ``-e``, ``-l``); ``timeout``: seconds. stderr is folded into the output.
    """
    ephemeral = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ephemeral, "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(PROJECT, ".collections"), ANSIBLE_FORCE_COLOR="false",
               ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_CALLBACK_RESULT_FORMAT="yaml")
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i",
           os.path.join(ephemeral, "inventory"), playbook] + list(extra)
    run = subprocess.run(cmd, cwd=os.environ["MOLECULE_SCENARIO_DIRECTORY"], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, universal_newlines=True, timeout=timeout, check=False)
    return run.returncode, run.stdout


def flat(output):
    """``output`` with every run of white space as one space (the YAML callback wraps long messages)."""
    return re.sub(r"\s+", " ", output)
