"""Connection options, settings resolution, credentials and error reporting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pyral.cli import connect
from pyral.cli.connect import resolve_settings, user_config_path


def test_help_lists_every_command(run: Any) -> None:
    result = run("--help")
    assert result.exit_code == 0
    for name in ("query", "show", "create", "update", "delete", "attach", "attachments", "export", "import",
                 "workspaces", "projects", "users", "types", "typedef", "allowed", "serve"):
        assert f"  {name} " in result.stdout
    assert "2 usage" in result.stdout


def test_version(run: Any) -> None:
    result = run("--version")
    assert result.exit_code == 0 and "pyral" in result.stdout


def test_unknown_command_is_a_usage_error(run: Any) -> None:
    result = run("frobnicate")
    assert result.exit_code == 2
    assert "No such command" in result.stderr


def test_apikey_from_environment(emu: Any, run: Any) -> None:
    result = run("workspaces")
    assert result.exit_code == 0, result.stderr
    assert "Default Workspace" in result.stdout


def test_missing_credentials(clean_env: Path, emulator: Any, run: Any) -> None:
    result = run("workspaces", "--server", emulator.url)
    assert result.exit_code == 3
    assert result.stderr.startswith("Error: no Rally credentials")
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_api_key(emu: Any, run: Any) -> None:
    result = run("query", "Defect", "--apikey", "not-a-key")
    assert result.exit_code == 3
    assert "authentication failed" in result.stderr
    assert "not-a-key" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_bad_password(emu: Any, run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APIKEY")
    result = run("users", "--user", emu.admin_user, "--password", "wrong-secret")
    assert result.exit_code == 3
    assert "wrong-secret" not in result.stderr + result.stdout


def test_user_and_password(emu: Any, run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APIKEY")
    monkeypatch.setenv("RALLY_USER", emu.admin_user)
    monkeypatch.setenv("RALLY_PASSWORD", emu.admin_password)
    result = run("users", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert emu.admin_user in result.stdout


def test_password_not_prompted_without_terminal(emu: Any, run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APIKEY")
    result = run("users", "--user", emu.admin_user)
    assert result.exit_code == 3
    assert "no password" in result.stderr


def test_password_prompted_hidden_on_terminal(emu: Any, run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APIKEY")
    monkeypatch.setattr(connect, "can_prompt", lambda: True)
    result = run("users", "--user", emu.admin_user, input=emu.admin_password + "\n")
    assert result.exit_code == 0, result.stderr
    assert "Rally password for" in result.stderr
    assert emu.admin_password not in result.stdout + result.stderr


def test_config_option_file(clean_env: Path, emulator: Any, run: Any) -> None:
    cfg = clean_env / "my.cfg"
    cfg.write_text(f"SERVER = {emulator.url}\nAPIKEY = {emulator.admin_api_key}\n")
    result = run("workspaces", "--config", str(cfg), "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert "Default Workspace" in result.stdout


def test_config_option_missing_file(clean_env: Path, run: Any) -> None:
    result = run("workspaces", "--config", "nope.cfg")
    assert result.exit_code == 2
    assert "Error: Invalid value for '--config': File 'nope.cfg' does not exist." in result.stderr


def test_user_config_file_honours_xdg(clean_env: Path, emulator: Any, run: Any) -> None:
    path = user_config_path()
    assert path == clean_env / "xdg" / "pyral" / "config"
    path.parent.mkdir(parents=True)
    path.write_text(f"# user defaults\nSERVER = {emulator.url}\nAPIKEY = {emulator.admin_api_key}\n")
    result = run("types", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert "HierarchicalRequirement" in result.stdout


def test_precedence(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user = user_config_path()
    user.parent.mkdir(parents=True)
    user.write_text("SERVER = user.example\nAPIKEY = userkey\nWORKSPACE = UserWS\nPROJECT = UserProj\n")
    (clean_env / "rally-v2.0.cfg").write_text("WORKSPACE = CwdWS\n")
    monkeypatch.setenv("RALLY_SERVER", "env.example")
    settings = resolve_settings({"project": "CliProj"})
    assert settings.server == "env.example"          # environment beats the user file
    assert settings.apikey == "userkey"              # the user file fills what nothing else sets
    assert settings.workspace == "CwdWS"             # rally-v2.0.cfg beats env and the user file
    assert settings.project == "CliProj"             # the command line beats everything
    assert "userkey" not in repr(settings)


def test_group_level_options(clean_env: Path, emulator: Any, run: Any) -> None:
    result = run("--server", emulator.url, "--apikey", emulator.admin_api_key, "workspaces", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith("Default Workspace,")  # connected with the group's options


def test_unreachable_server(clean_env: Path, run: Any) -> None:
    result = run("workspaces", "--server", "http://127.0.0.1:9", "--apikey", "k")
    assert result.exit_code == 1
    assert "unreachable" in result.stderr


def test_unknown_workspace_and_project(emu: Any, run: Any) -> None:
    result = run("query", "Defect", "--workspace", "Nowhere")
    assert result.exit_code == 4 and "Nowhere" in result.stderr
    result = run("query", "Defect", "--project", "Nothing")
    assert result.exit_code == 4 and "Nothing" in result.stderr


def test_debug_shows_traceback(emu: Any, run: Any) -> None:
    plain = run("query", "NoSuchType")
    assert plain.exit_code == 2 and "Traceback" not in plain.stderr
    debug = run("query", "NoSuchType", "--debug")
    assert debug.exit_code == 2
    assert "Traceback" in debug.stderr
    assert debug.stderr.strip().splitlines()[-1].startswith("Error: unknown Rally type")
