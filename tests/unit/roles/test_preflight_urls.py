"""Which URLs preflight probes from every node (roles/preflight/tasks/probe.yml, module node_probe), rendered by Ansible from the
task's own expression: the configured mirrors online; offline, only preflight_extra_urls (the mirrors are the
bundle build machine's sources, an air-gapped node cannot reach them)."""
import json
import os
import subprocess
import sys

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def _expression():
    with open(os.path.join(ROOT, "roles", "preflight", "tasks", "probe.yml")) as handle:
        tasks = yaml.safe_load(handle)
    task = [t for t in tasks if "aiplatform.cluster.node_probe" in t][0]
    return task["vars"]["__preflight_urls"]


def _urls(tmp_path, offline):
    play = [{"hosts": "localhost", "gather_facts": False,
             "vars": {"__preflight_urls": _expression(), "preflight_extra_urls": ["http://repo.site.internal/"],
                      "node_accelerator": {"vendor": "nvidia"},
                      "platform_offline": {"enabled": offline},
                      "platform_registry": {"company": {"url": "harbor.corp.example"}},
                      "platform_mirrors": {"apt": "http://apt.corp.example/debian",
                                           "kubernetes_packages": "http://k8s.corp.example",
                                           "nvidia_packages": "http://nv.corp.example",
                                           "images": {"docker.io": ["https://hub.corp.example/"],
                                                      "quay.io": ["https://quay.corp.example"]}}},
             "tasks": [{"name": "urls", "ansible.builtin.debug": {"msg": "{{ __preflight_urls }}"}}]}]
    path = tmp_path / ("play-%s.yml" % offline)
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_LOCALHOST_WARNING="False",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="False", ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
                          "-c", "local", str(path)], env=env, capture_output=True, text=True, timeout=300, check=False,
                         cwd=str(tmp_path))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return json.loads(run.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]["msg"]


def test_online_every_mirror_is_probed(tmp_path):
    # An image mirror's /v2/ once, with or without a trailing slash (it was "/v2//v2/" with one).
    assert _urls(tmp_path, False) == [
        "http://apt.corp.example/debian", "http://k8s.corp.example", "http://nv.corp.example",
        "https://hub.corp.example/v2/", "https://quay.corp.example/v2/", "https://harbor.corp.example/v2/",
        "http://repo.site.internal/"]


def test_offline_only_the_sites_own_urls_are_probed(tmp_path):
    assert _urls(tmp_path, True) == ["http://repo.site.internal/"]
