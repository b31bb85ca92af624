"""NPU NIC plan logic: hccn_tool outputs, changes only where needed, hccn.conf, rank table."""

import pytest

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import hccn

PLAN = [
    {"device": 0, "address": "192.168.10.13", "netmask": "255.255.255.0", "detect": "192.168.10.1",
     "gateway": "192.168.10.1"},
    {"device": 1, "address": "192.168.20.13", "netmask": "255.255.255.0", "detect": "192.168.20.1",
     "gateway": "192.168.20.1"},
]


def test_parse_ip_get():
    # format from shared/reference/accelerators.md: `hccn_tool -i <n> -ip -g`
    assert hccn.parse_ip_get("ipaddr:192.168.10.13\nnetmask:255.255.255.0\n") == {
        "address": "192.168.10.13", "netmask": "255.255.255.0"}
    assert hccn.parse_ip_get("") == {"address": None, "netmask": None}


def test_hccn_conf_round_trip():
    text = hccn.render_hccn_conf(PLAN)
    assert text.splitlines()[:4] == ["address_0=192.168.10.13", "netmask_0=255.255.255.0",
                                     "netdetect_0=192.168.10.1", "gateway_0=192.168.10.1"]
    assert hccn.parse_hccn_conf(text) == {
        0: {"address": "192.168.10.13", "netmask": "255.255.255.0", "detect": "192.168.10.1",
            "gateway": "192.168.10.1"},
        1: {"address": "192.168.20.13", "netmask": "255.255.255.0", "detect": "192.168.20.1",
            "gateway": "192.168.20.1"}}


def test_nothing_to_do_when_everything_matches():
    current = {0: {"address": "192.168.10.13", "netmask": "255.255.255.0"},
               1: {"address": "192.168.20.13", "netmask": "255.255.255.0"}}
    configured = hccn.parse_hccn_conf(hccn.render_hccn_conf(PLAN))
    assert hccn.plan_commands(PLAN, current, configured) == []


def test_only_differences_are_applied():
    current = {0: {"address": "192.168.10.99", "netmask": "255.255.255.0"},
               1: {"address": "192.168.20.13", "netmask": "255.255.255.0"}}
    configured = {0: {"detect": "192.168.10.1", "gateway": "192.168.10.1"}, 1: {"detect": "192.168.20.254"}}
    assert hccn.plan_commands(PLAN, current, configured) == [
        ["hccn_tool", "-i", "0", "-ip", "-s", "address", "192.168.10.13", "netmask", "255.255.255.0"],
        ["hccn_tool", "-i", "1", "-netdetect", "-s", "address", "192.168.20.1"],
        ["hccn_tool", "-i", "1", "-gateway", "-s", "gateway", "192.168.20.1"],
    ]


def test_rank_table():
    other = [dict(n, address=n["address"].replace(".13", ".14")) for n in PLAN]
    table = hccn.rank_table([("10.0.0.13", PLAN), ("10.0.0.14", other)])
    assert table["version"] == "1.0" and table["server_count"] == "2" and table["status"] == "completed"
    assert table["server_list"][1] == {"server_id": "10.0.0.14", "device": [
        {"device_id": "0", "device_ip": "192.168.10.14", "rank_id": "2"},
        {"device_id": "1", "device_ip": "192.168.20.14", "rank_id": "3"}]}


def test_rank_table_refuses_inconsistent_subnets():
    other = [dict(PLAN[0], address="192.168.30.14"), dict(PLAN[1], address="192.168.20.14")]
    with pytest.raises(hccn.HccnError, match="NPU 0 of 10.0.0.14 is on 192.168.30.0/24 but NPU 0 of 10.0.0.13 is on "
                                             "192.168.10.0/24"):
        hccn.rank_table([("10.0.0.13", PLAN), ("10.0.0.14", other)])
    with pytest.raises(hccn.HccnError, match="no NPU NIC plan"):
        hccn.rank_table([("10.0.0.13", [])])


def test_filter_over_hostvars():
    from ansible.errors import AnsibleFilterError
    from ansible_collections.aiplatform.cluster.plugins.filter import npu

    hostvars = {"npu-01": {"node_ip": "10.0.0.13", "node_npu_nics": PLAN}}
    table = npu.FilterModule().filters()["hccl_rank_table"](hostvars, ["npu-01"])
    assert table["server_list"][0]["server_id"] == "10.0.0.13"
    assert npu.hccl_rank_table({"npu-02": {"node_ip": "10.0.0.14"}}, ["npu-02"])["server_count"] == "0"
    other = [dict(PLAN[0], address="192.168.30.14")]
    with pytest.raises(AnsibleFilterError, match="Fix: correct the npu_nics plan"):
        npu.hccl_rank_table({"a": {"node_ip": "10.0.0.13", "node_npu_nics": PLAN},
                             "b": {"node_ip": "10.0.0.14", "node_npu_nics": other}}, ["a", "b"])
    commands = npu.FilterModule().filters()["hccn_commands"](PLAN, {"0": {"address": "192.168.10.13",
                                                                          "netmask": "255.255.255.0"}}, {})
    assert commands[0][:5] == ["hccn_tool", "-i", "0", "-netdetect", "-s"]
