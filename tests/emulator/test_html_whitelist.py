"""Rally's HTML whitelist: markup outside it in a text field is refused and nothing is written.

The payloads are the classics of XSS cheat sheets (event handlers, script-bearing URLs in every
spelling a browser accepts, active elements, CSS that loads or runs code) plus the ones the issue
names.  Ordinary rich text, and text that merely contains ``<``, ``>`` or ``&``, is kept verbatim.
"""

from __future__ import annotations

import pytest
from wsapi_client import Wsapi

from pyral.emulator.richtext import allowed

REFUSAL = "contained invalid input. Search 'HTML Whitelist' at help.rallydev.com for details."

PAYLOADS = [
    "<svg/onload=alert(1)>",
    '<a href="jav&#x61;script:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<form action="https://evil.example"><input name=a></form>',
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<iframe src='javascript:alert(1)'></iframe>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="java&#0000009;script:alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href=" JaVaScRiPt:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    "<body onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<div style="width: expression(alert(1))">x</div>',
    '<span style="behavior: url(x.htc)">x</span>',
    '<object data="x.swf"></object>',
    '<embed src="x.swf">',
    '<style>@import "https://evil.example/x.css";</style>',
    "<link rel=stylesheet href=https://evil.example/x.css>",
    '<base href="https://evil.example/">',
    "<details open ontoggle=alert(1)>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<scr<script>ipt>alert(1)</script>",
    "<input autofocus onfocus=alert(1)>",
    "<xss onmouseover=alert(1)>x</xss>",
    "<svg><script>alert(1)</script></svg>",
    '<video><source onerror="alert(1)"></video>',
    '<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">',
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    '<p style="color:red" onclick="alert(1)">a</p>',
    '"><script>alert(1)</script>',
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    "<isindex action=javascript:alert(1) type=submit>",
    "<frameset><frame src=javascript:alert(1)></frameset>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<button formaction=javascript:alert(1)>x</button>",
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
]

KEPT = [
    "Special chars:/!@#$%^*-=+[]{};:,.<>? and <b>bold</b>, one = two",
    "a < b && c > d",
    "Tom & Jerry; 3 < 4",
    "&lt;script&gt; is escaped text",
    "<p>para</p><br/><br>",
    '<a href="https://example.com/x?a=1&b=2">link</a>',
    '<a href="mailto:someone@example.com">mail</a>',
    '<a href="/slm/detail/us/1">relative</a>',
    '<span style="color: red; font-weight:bold">styled</span>',
    "<ul><li>one</li><li>two</li></ul>",
    '<font color="#ff0000">red</font>',
    '<img src="https://example.com/a.png" alt="a">',
    '<table border="1"><tr><td>x</td></tr></table>',
    '<div style="text-align:center">c</div>',
    "<b>unclosed",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_are_refused_in_every_text_field(wsapi: Wsapi, payload: str) -> None:
    defect = wsapi.create("defect", {"Name": "target"})
    before = wsapi.fingerprint()
    for attr, kind in (("Name", "STRING"), ("Description", "TEXT"), ("Notes", "TEXT")):
        created = wsapi.create_raw("defect", {"Defect": {"Name": "x", attr: payload}})
        assert created["Errors"] == [f"Validation error: Defect.{attr} {REFUSAL}"], (kind, payload)
        assert "Object" not in created
        updated = wsapi.update_raw(defect["_ref"], {"Defect": {attr: payload}})
        assert updated["Errors"] == [f"Validation error: Defect.{attr} {REFUSAL}"], (kind, payload)
    post = wsapi.create_raw("conversationpost", {"ConversationPost": {"Artifact": defect["_ref"], "Text": payload}})
    assert post["Errors"] == [f"Validation error: ConversationPost.Text {REFUSAL}"]
    assert wsapi.fingerprint() == before


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_markup_and_symbols_are_kept_verbatim(wsapi: Wsapi, text: str) -> None:
    created = wsapi.create("defect", {"Name": "kept", "Description": text})
    assert wsapi.read(created["_ref"])["Description"] == text


def test_the_checker_agrees_with_the_server() -> None:
    """The same decisions in-process (no store involved): every payload out, every kept text in."""
    assert [p for p in PAYLOADS if allowed(p)] == []
    assert [t for t in KEPT if not allowed(t)] == []
