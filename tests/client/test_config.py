"""Tests for pyral.config: constants, timestamp() and the rallyWorkset/rallySettings priority chain."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path

import pytest

from pyral import config
from pyral.config import parse_config_text, rallySettings, rallyWorkset, read_config_file, timestamp
from pyral.errors import RallyError

ENV_VARS = ("RALLY_SERVER", "RALLY_USER", "RALLY_PASSWORD", "APIKEY", "RALLY_WORKSPACE", "RALLY_PROJECT",
            "RALLY_CONFIG")
DEFAULTS = ["rally1.rallydev.com", "", "", "", "default", "default"]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------- constants


def test_constants() -> None:
    assert config.SERVER == "rally1.rallydev.com"
    assert config.WEB_SERVICE == "slm/webservice"
    assert config.SCHEMA_SERVICE == "slm/schema"
    assert config.WS_API_VERSION == "v2.0"
    assert config.START_INDEX == 1
    assert config.KILO_PAGESIZE == 1000
    assert config.MAX_PAGESIZE == 2000
    assert config.MAX_ITEMS == 1_000_000
    assert config.DEFAULT_TIMEOUT == 120.0
    assert config.PROTOCOL == "https"
    assert config.AUTH_ENDPOINT == "security/authorize"


def test_no_hard_coded_credentials() -> None:
    assert config.USER_NAME == "" and config.PASSWORD == "" and config.APIKEY == ""
    source = Path(config.__file__).read_text(encoding="utf-8")
    assert "wiley@acme.com" not in source
    assert "G3ronim0" not in source


def test_timestamp_format() -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", timestamp())
    assert timestamp(datetime(2024, 2, 3, 4, 5, 6, 789_999)) == "2024-02-03 04:05:06.789"
    assert timestamp(datetime(2024, 2, 3, 4, 5, 6)) == "2024-02-03 04:05:06.000"


def test_timestamp_is_local_time() -> None:
    before = datetime.now().replace(microsecond=0)
    stamp = datetime.strptime(timestamp(), "%Y-%m-%d %H:%M:%S.%f")
    assert abs((stamp - before).total_seconds()) < 5


# ---------------------------------------------------------------------------------------------- defaults


def test_defaults() -> None:
    assert rallyWorkset([]) == DEFAULTS
    assert rallySettings([]) == ["rally1.rallydev.com", "", "", "default", "default"]


def test_returns_fresh_lists() -> None:
    first = rallyWorkset([])
    first[0] = "mutated"
    assert rallyWorkset([])[0] == "rally1.rallydev.com"


# ---------------------------------------------------------------------------------------------- env vars


def test_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RALLY_SERVER", "env.host")
    monkeypatch.setenv("RALLY_USER", "env@user")
    monkeypatch.setenv("RALLY_PASSWORD", "envpw")
    monkeypatch.setenv("APIKEY", "_envkey")
    monkeypatch.setenv("RALLY_WORKSPACE", "Env WS")
    monkeypatch.setenv("RALLY_PROJECT", "Env Proj")
    assert rallyWorkset([]) == ["env.host", "env@user", "envpw", "_envkey", "Env WS", "Env Proj"]
    assert rallySettings([]) == ["env.host", "env@user", "envpw", "Env WS", "Env Proj"]


def test_env_user_name_variant_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RALLY_USER_NAME", "wrong")
    assert rallyWorkset([])[1] == ""


def test_empty_env_values_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RALLY_SERVER", "")
    assert rallyWorkset([])[0] == "rally1.rallydev.com"


def test_explicit_env_mapping_overrides_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RALLY_SERVER", "from.os")
    assert rallyWorkset([], env={"RALLY_SERVER": "from.mapping"})[0] == "from.mapping"
    assert rallyWorkset([], env={})[0] == "rally1.rallydev.com"


# ---------------------------------------------------------------------------------------------- config files


FULL_CFG = """\
# a comment line
SERVER = file.host
USER = file@user
PASSWORD = filepw
APIKEY = _filekey
WORKSPACE = File WS
PROJECT = File Proj
"""


def test_cwd_config_file(tmp_path: Path) -> None:
    write(tmp_path / "rally-v2.0.cfg", FULL_CFG)
    assert rallyWorkset([]) == ["file.host", "file@user", "filepw", "_filekey", "File WS", "File Proj"]
    assert rallySettings([]) == ["file.host", "file@user", "filepw", "File WS", "File Proj"]


def test_cwd_file_overrides_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RALLY_SERVER", "env.host")
    monkeypatch.setenv("RALLY_PROJECT", "Env Proj")
    write(tmp_path / "rally-v2.0.cfg", "SERVER = file.host\n")
    assert rallyWorkset([])[0] == "file.host"
    assert rallyWorkset([])[5] == "Env Proj"  # not in the file, env value survives


def test_non_matching_version_note(tmp_path: Path) -> None:
    write(tmp_path / "rally-1.43.cfg", "SERVER = old.host\n")
    note = io.StringIO()
    assert rallyWorkset([], note_stream=note)[0] == "rally1.rallydev.com"
    assert note.getvalue() == ("Ignoring non-matching version of Rally config settings: rally-1.43.cfg "
                               "(working version: v2.0)\n")


def test_non_matching_note_defaults_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "rally-1.43.cfg", "SERVER = old.host\n")
    rallyWorkset([])
    captured = capsys.readouterr()
    assert "Ignoring non-matching version of Rally config settings: rally-1.43.cfg" in captured.err
    assert captured.out == ""


def test_no_note_when_matching_file_present(tmp_path: Path) -> None:
    write(tmp_path / "rally-1.43.cfg", "SERVER = old.host\n")
    write(tmp_path / "rally-v2.0.cfg", "SERVER = new.host\n")
    note = io.StringIO()
    assert rallyWorkset([], note_stream=note)[0] == "new.host"
    assert note.getvalue() == ""


def test_rally_config_env_overrides_cwd_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write(tmp_path / "rally-v2.0.cfg", "SERVER = cwd.host\nUSER = cwd@user\n")
    other = tmp_path / "elsewhere"
    other.mkdir()
    write(other / "mine.cfg", "SERVER = envfile.host\n")
    monkeypatch.setenv("RALLY_CONFIG", str(other / "mine.cfg"))
    assert rallyWorkset([])[:2] == ["envfile.host", "cwd@user"]


def test_rally_config_env_tries_cfg_suffix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write(tmp_path / "suffixed.cfg", "WORKSPACE = Suffixed\n")
    monkeypatch.setenv("RALLY_CONFIG", "suffixed")
    assert rallyWorkset([])[4] == "Suffixed"


@pytest.mark.parametrize("flag", ["--config", "--conf", "--cfg", "--rallyConfig"])
def test_config_args(flag: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write(tmp_path / "envfile.cfg", "SERVER = envfile.host\nPROJECT = P1\n")
    monkeypatch.setenv("RALLY_CONFIG", "envfile.cfg")
    write(tmp_path / "argfile.cfg", "SERVER = argfile.host\n")
    assert rallyWorkset([f"{flag}=argfile.cfg"])[0] == "argfile.host"
    assert rallyWorkset([f"{flag}=argfile"])[0] == "argfile.host"  # .cfg appended
    assert rallyWorkset([f"{flag}=argfile"])[5] == "P1"


def test_later_config_arg_wins(tmp_path: Path) -> None:
    write(tmp_path / "a.cfg", "SERVER = a.host\nUSER = a@user\n")
    write(tmp_path / "b.cfg", "SERVER = b.host\n")
    assert rallyWorkset(["--conf=a.cfg", "--conf=b.cfg"])[:2] == ["b.host", "a@user"]


def test_config_arg_absolute_path(tmp_path: Path) -> None:
    path = write(tmp_path / "abs.cfg", "USER = abs@user\n")
    assert rallyWorkset([f"--config={path}"])[1] == "abs@user"


def test_missing_named_file_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RALLY_CONFIG", "nope.cfg")
    assert rallyWorkset(["--conf=also-missing"]) == DEFAULTS


def test_unreadable_file_raises(tmp_path: Path) -> None:
    (tmp_path / "dir.cfg").mkdir()
    with pytest.raises(RallyError, match="Unable to read Rally config file"):
        rallyWorkset(["--conf=dir.cfg"])


def test_undecodable_file_raises(tmp_path: Path) -> None:
    (tmp_path / "bad.cfg").write_bytes(b"SERVER = \xff\xfe\xfa\n")
    with pytest.raises(RallyError, match="bad.cfg"):
        read_config_file(tmp_path / "bad.cfg")


def test_unreadable_cwd_file_raises(tmp_path: Path) -> None:
    (tmp_path / "rally-v2.0.cfg").mkdir()
    with pytest.raises(RallyError):
        rallyWorkset([])


def test_cwd_parameter(tmp_path: Path) -> None:
    other = tmp_path / "proj"
    other.mkdir()
    write(other / "rally-v2.0.cfg", "SERVER = cwdparam.host\n")
    write(other / "rel.cfg", "USER = rel@user\n")
    assert rallyWorkset(["--conf=rel"], cwd=other)[:2] == ["cwdparam.host", "rel@user"]
    assert rallyWorkset([])[0] == "rally1.rallydev.com"


# ---------------------------------------------------------------------------------------------- file format


def test_parse_config_text_rules() -> None:
    text = (
        "SERVER = host.one\r\n"
        "USER=tight@user   \r\n"
        "  PASSWORD = indented-ignored\n"
        "password = lowercase-ignored\n"
        "Server = mixedcase-ignored\n"
        "# PROJECT = commented\n"
        "WORKSPACE = Has Spaces  \t\n"
        "PROJECT = \"quoted\"\n"
        "UNKNOWN = whatever\n"
        "APIKEY =\n"
        "garbage line\n"
    )
    assert parse_config_text(text) == {
        "SERVER": "host.one",
        "USER": "tight@user",
        "WORKSPACE": "Has Spaces",
        "PROJECT": '"quoted"',
    }


def test_value_keeps_hash_and_equals() -> None:
    assert parse_config_text("PASSWORD = p#ss=w0rd # not a comment\n") == {
        "PASSWORD": "p#ss=w0rd # not a comment"}


def test_api_key_spelling_accepted(tmp_path: Path) -> None:
    write(tmp_path / "rally-v2.0.cfg", "API_KEY = _underscored\n")
    assert rallyWorkset([])[3] == "_underscored"


def test_later_line_wins() -> None:
    assert parse_config_text("SERVER = a\nSERVER = b\n") == {"SERVER": "b"}


def test_rally_settings_ignores_apikey_everywhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("APIKEY", "_env")
    write(tmp_path / "rally-v2.0.cfg", "APIKEY = _file\nAPI_KEY = _file2\nUSER = u\n")
    assert rallySettings(["--apikey=_arg"]) == ["rally1.rallydev.com", "u", "", "default", "default"]
    assert parse_config_text("APIKEY = x\n", with_apikey=False) == {}


def test_bom_is_tolerated(tmp_path: Path) -> None:
    (tmp_path / "bom.cfg").write_bytes("\ufeffSERVER = bom.host\n".encode())
    assert read_config_file(tmp_path / "bom.cfg") == {"SERVER": "bom.host"}


# ---------------------------------------------------------------------------------------------- args


def test_rally_prefixed_args() -> None:
    args = ["--rallyServer=arg.host", "--rallyUser=arg@user", "--rallyPassword=argpw",
            "--rallyWorkspace=Arg WS", "--rallyProject=Arg Proj"]
    assert rallyWorkset(args) == ["arg.host", "arg@user", "argpw", "", "Arg WS", "Arg Proj"]


def test_short_args() -> None:
    args = ["--server=s.host", "--user=s@user", "--password=spw", "--apikey=_argkey",
            "--workspace=S WS", "--project=S Proj"]
    assert rallyWorkset(args) == ["s.host", "s@user", "spw", "_argkey", "S WS", "S Proj"]
    assert rallySettings(args) == ["s.host", "s@user", "spw", "S WS", "S Proj"]


def test_args_override_everything(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RALLY_SERVER", "env.host")
    monkeypatch.setenv("RALLY_USER", "env@user")
    monkeypatch.setenv("RALLY_PASSWORD", "envpw")
    write(tmp_path / "rally-v2.0.cfg", "SERVER = cwd.host\nUSER = cwd@user\n")
    write(tmp_path / "named.cfg", "SERVER = named.host\n")
    # a setting arg placed *before* the --conf arg still wins: config args are applied first
    result = rallyWorkset(["--server=arg.host", "--conf=named.cfg"])
    assert result[:3] == ["arg.host", "cwd@user", "envpw"]


def test_full_priority_chain(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RALLY_SERVER", "env")
    monkeypatch.setenv("RALLY_USER", "env")
    monkeypatch.setenv("RALLY_PASSWORD", "env")
    monkeypatch.setenv("APIKEY", "env")
    monkeypatch.setenv("RALLY_WORKSPACE", "env")
    write(tmp_path / "rally-v2.0.cfg", "USER = cwd\nPASSWORD = cwd\nAPIKEY = cwd\nWORKSPACE = cwd\n")
    write(tmp_path / "envcfg.cfg", "PASSWORD = rally_config\nAPIKEY = rally_config\nWORKSPACE = rally_config\n")
    monkeypatch.setenv("RALLY_CONFIG", "envcfg.cfg")
    write(tmp_path / "argcfg.cfg", "APIKEY = arg_config\nWORKSPACE = arg_config\n")
    result = rallyWorkset(["--cfg=argcfg", "--workspace=arg"])
    assert result == ["env", "cwd", "rally_config", "arg_config", "arg", "default"]


def test_later_arg_wins_and_prefixed_forms_mix() -> None:
    assert rallyWorkset(["--rallyServer=a", "--server=b"])[0] == "b"
    assert rallyWorkset(["--server=b", "--rallyServer=a"])[0] == "a"


def test_arg_value_trailing_whitespace_stripped() -> None:
    assert rallyWorkset(["--user=spacey@user  \r"])[1] == "spacey@user"


@pytest.mark.parametrize("arg", ["--Server=x", "--api_key=x", "--rallyApikey=x", "--ping=x", "server=x",
                                 "--server", "--server=", "-server=x"])
def test_unrecognised_args_are_ignored(arg: str) -> None:
    assert rallyWorkset([arg]) == DEFAULTS


def test_value_with_equals_sign() -> None:
    assert rallyWorkset(["--password=a=b=c"])[2] == "a=b=c"


def test_project_path_with_slashes() -> None:
    assert rallyWorkset(["--project=Jenkins // Corral // Salamandra"])[5] == "Jenkins // Corral // Salamandra"
