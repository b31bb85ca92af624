"""file_tree: several files and directories in one module call, run as Ansible runs it (tests/support/module_run.py):
what it writes, that a second call changes nothing, check mode and diff, and what it refuses before changing anything."""
import grp
import os
import pwd
import stat

from module_run import run_module_file

from ansible_collections.aiplatform.cluster.plugins.modules import file_tree

OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def entry(name, **kw):
    return dict(dict(name=name, owner=OWNER, group=GROUP), **kw)


def tree_args(base, entries, **kw):
    return dict(dict(path=str(base), owner=OWNER, group=GROUP, entries=entries), **kw)


def mode_of(path):
    return stat.S_IMODE(os.lstat(str(path)).st_mode)


ENTRIES = [
    entry("docker.io", state="directory", mode="0755"),
    entry("docker.io/hosts.toml", mode="0644", content='server = "https://registry-1.docker.io"\n'),
    entry("secret.toml", mode="0600", content="password = 'x'\n"),
]


def test_writes_every_entry_then_changes_nothing(tmp_path):
    base = tmp_path / "certs.d"
    first = run_module_file("file_tree", tree_args(base, ENTRIES, mode="0750"), tmp_path)
    assert first["changed"] is True, first
    assert first["changed_entries"] == ["docker.io", "docker.io/hosts.toml", "secret.toml"]
    assert (base / "docker.io" / "hosts.toml").read_text() == 'server = "https://registry-1.docker.io"\n'
    assert mode_of(base) == 0o750 and mode_of(base / "docker.io") == 0o755
    assert mode_of(base / "secret.toml") == 0o600 and mode_of(base / "docker.io" / "hosts.toml") == 0o644
    again = run_module_file("file_tree", tree_args(base, ENTRIES, mode="0750"), tmp_path)
    assert again["changed"] is False and again["changed_entries"] == [], again


def test_only_what_differs_changes_content_or_mode(tmp_path):
    base = tmp_path / "t"
    run_module_file("file_tree", tree_args(base, ENTRIES, mode="0755"), tmp_path)
    os.chmod(str(base / "secret.toml"), 0o644)
    (base / "docker.io" / "hosts.toml").write_text("edited\n")
    result = run_module_file("file_tree", tree_args(base, ENTRIES, mode="0755"), tmp_path)
    assert result["changed_entries"] == ["docker.io/hosts.toml", "secret.toml"]
    assert mode_of(base / "secret.toml") == 0o600
    assert (base / "docker.io" / "hosts.toml").read_text().startswith("server =")


def test_check_mode_changes_nothing_and_tells_with_a_diff(tmp_path):
    base = tmp_path / "t"
    run_module_file("file_tree", tree_args(base, ENTRIES, mode="0755"), tmp_path)
    (base / "docker.io" / "hosts.toml").write_text("old\n")
    args = tree_args(base, ENTRIES + [entry("new", state="directory", mode="0755")], mode="0755",
                     _ansible_check_mode=True, _ansible_diff=True)
    result = run_module_file("file_tree", args, tmp_path)
    assert result["changed"] is True
    assert result["changed_entries"] == ["docker.io/hosts.toml", "new"]
    assert (base / "docker.io" / "hosts.toml").read_text() == "old\n"
    assert not (base / "new").exists()
    assert {d["before_header"]: (d["before"], d["after"]) for d in result["diff"]}[
        str(base / "docker.io" / "hosts.toml")] == ("old\n", 'server = "https://registry-1.docker.io"\n')


def test_check_mode_on_a_missing_directory_lists_every_entry(tmp_path):
    base = tmp_path / "missing"
    result = run_module_file("file_tree", tree_args(base, ENTRIES, mode="0755", _ansible_check_mode=True), tmp_path)
    assert result["changed"] is True and result["changed_entries"] == [e["name"] for e in ENTRIES]
    assert not base.exists()
    assert "diff" not in result  # only with --diff


def test_absent_removes_a_file_and_is_quiet_when_there_is_none(tmp_path):
    (tmp_path / "old.service").write_text("x")
    args = tree_args(tmp_path, [entry("old.service", state="absent"), entry("never.service", state="absent")])
    result = run_module_file("file_tree", args, tmp_path)
    assert result["changed_entries"] == ["old.service"] and not (tmp_path / "old.service").exists()
    assert run_module_file("file_tree", args, tmp_path)["changed"] is False


def test_refuses_links_and_leaves_everything_as_it_was(tmp_path):
    base = tmp_path / "t"
    base.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(str(elsewhere), str(base / "docker.io"))
    result = run_module_file("file_tree", tree_args(base, ENTRIES), tmp_path)
    assert result["failed"] is True
    assert "is a link" in result["msg"] and "Nothing was changed" in result["msg"]
    assert os.listdir(str(elsewhere)) == [] and not (base / "secret.toml").exists()


def test_a_missing_directory_without_mode_is_refused(tmp_path):
    result = run_module_file("file_tree", tree_args(tmp_path / "nope", ENTRIES), tmp_path)
    assert result["failed"] is True and "give mode" in result["msg"]


def test_an_entry_whose_directory_is_neither_there_nor_listed_is_refused(tmp_path):
    result = run_module_file("file_tree", tree_args(tmp_path, [entry("a/b.conf", mode="0644", content="")]), tmp_path)
    assert result["failed"] is True and "neither exists nor is listed before it" in result["msg"]
    assert not (tmp_path / "a").exists()


def test_entry_problems_names_every_bad_entry_at_once():
    problems = file_tree.entry_problems([
        dict(name="../etc/passwd", state="file", content="x", mode="0644"),
        dict(name="/abs", state="directory", mode="0755"),
        dict(name="ok.conf", state="file", content=None, mode="0644"),
        dict(name="nomode", state="directory", mode=None),
        dict(name="gone", state="absent"),
    ])
    assert len(problems) == 4
    assert problems[0].startswith("entry 1 (../etc/passwd)") and problems[1].startswith("entry 2 (/abs)")
    assert "needs its content" in problems[2] and "needs its mode" in problems[3]


def test_a_file_where_a_directory_is_listed_is_refused(tmp_path):
    (tmp_path / "docker.io").write_text("not a dir")
    result = run_module_file("file_tree", tree_args(tmp_path, ENTRIES), tmp_path)
    assert result["failed"] is True and "is not a directory" in result["msg"]
