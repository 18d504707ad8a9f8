"""Connecting: Basic auth, API key, precedence, bad credentials, headers, a Basic-auth write."""

from __future__ import annotations

from _common import Checks, connect, setup

from pyral import Rally

cfg = setup()
data = cfg["data"]
server = cfg["server"]
https = cfg["protocol"] == "https"
tls = {"verify_ssl_cert": False} if https else {}
check = Checks()


def summary(rally):
    projects = rally.get("Project", fetch=False, limit=10)
    return {"workspace": rally.getWorkspace().Name, "project": rally.getProject().Name,
            "status": projects.status_code, "count": projects.resultCount,
            "subscription": rally.subscriptionName(), "service_url": rally.serviceURL()}


@check
def basic_auth():
    return summary(connect(cfg))


@check
def api_key():
    return summary(connect(cfg, auth="apikey"))


@check
def bogus_user_password_good_api_key():
    return summary(Rally(server, "bogus@nowhere.example", "not-it", apikey=cfg["apikey"], **tls))


@check
def good_user_password_bad_api_key():
    return summary(Rally(server, cfg["user"], cfg["password"], apikey="_NotARealKeyAtAll0000", **tls))


@check
def bad_api_key():
    return summary(Rally(server, apikey="_NotARealKeyAtAll0000", **tls))


attempts = [(cfg["user"], "wrong-password"), ("nobody@nowhere.example", cfg["password"]),
            (cfg["user"], ""), (cfg["user"], "G3ronim0!"), (cfg["user"].upper() + "x", cfg["password"]),
            (None, None), (data["disabled_user"], data["disabled_password"])]
for i, (user, password) in enumerate(attempts):
    check.run(f"bad_credentials_{i}", lambda u=user, p=password: summary(Rally(server, u, p, **tls)))


@check
def custom_headers():
    rally = connect(cfg, headers={"name": "Compat Suite", "vendor": "Emulator QA", "version": "9.9"})
    return {**summary(rally), "sent": {k: v for k, v in rally.session.headers.items()
                                       if k.startswith("X-RallyIntegration")}}


@check
def second_user_basic():
    rally = Rally(server, data["user"], data["password"], **tls)
    me = rally.getUserInfo(username=data["user"])[0]
    return {**summary(rally), "display_name": me.DisplayName}


@check
def second_user_api_key():
    return summary(Rally(server, apikey=data["apikey"], **tls))


@check
def basic_auth_write_cycle():
    """Writes under Basic auth carry the security token from security/authorize."""
    rally = connect(cfg)
    token = rally.obtainSecurityToken()
    defect = rally.create("Defect", {"Name": "written with basic auth", "State": "Open"})
    updated = rally.update("Defect", {"ObjectID": defect.oid, "State": "Fixed"})
    gone = rally.delete("Defect", defect.oid)
    return {"token": bool(token), "fid": defect.FormattedID, "state": updated.State, "deleted": gone}


@check
def api_key_write_cycle():
    rally = connect(cfg, auth="apikey")
    defect = rally.create("Defect", {"Name": "written with an API key"})
    return {"token": rally.obtainSecurityToken(), "fid": defect.FormattedID,
            "deleted": rally.delete("Defect", defect.FormattedID)}


if https:
    @check
    def certificate_verified():
        return summary(Rally(server, cfg["user"], cfg["password"], verify_ssl_cert=True))

check.emit()
