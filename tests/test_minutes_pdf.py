"""Minutes as PDF: the same document as the HTML export, for the same readers; without the
system's Pango library a clear 503 that points to the other formats, never a 500."""

from __future__ import annotations

import importlib.abc
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from assembly.minutes import pdf
from tests.test_minutes import _closed, _url
from tests.test_voting_ui import client_for, text_of


def _pango() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


# Rendering needs the system's Pango; where it is missing, the 503 tests still run.
needs_pango = pytest.mark.skipif(not _pango(), reason="WeasyPrint cannot load Pango here")


def pdf_titles(document: bytes) -> set[str]:
    """The document's title and its bookmarks' (headings), which WeasyPrint writes in
    compressed object streams, as text or in UTF-16."""
    titles = set()
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", document, re.S):
        try:
            data = zlib.decompress(stream.group(1))
        except zlib.error:
            continue
        for found in re.finditer(rb"/Title <feff([0-9a-f]+)>", data):
            titles.add(bytes.fromhex(found.group(1).decode()).decode("utf-16-be"))
        titles.update(t.decode("latin-1") for t in re.findall(rb"/Title \(([^)]*)\)", data))
    return titles


def _approve(app, people, meeting_ref):
    secretary = client_for(app, people["secretary"])
    secretary.post_form(
        _url(meeting_ref, "/approvers"), {"approvers-approvers": [str(people["admin"].id)]}
    )
    client_for(app, people["admin"]).post_form(_url(meeting_ref, "/approve"))


@needs_pango
def test_the_pdf_goes_to_those_who_read_the_minutes(app, coop, make_meeting, make_user, make_org):
    org, people = coop
    meeting_ref = _closed(app, make_meeting, org, title="Asamblea de marzo")
    secretary = client_for(app, people["secretary"])
    member = client_for(app, people["member"])
    page = text_of(secretary.get(_url(meeting_ref)))  # drafts them
    assert _url(meeting_ref, "/export.pdf") in page
    response = secretary.get(_url(meeting_ref, "/export.pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="acta-{org.slug}-{meeting_ref.id}-v1.pdf"'
    titles = pdf_titles(response.data)
    assert f"Acta · Asamblea de marzo · {org.name}" in titles  # from the page's <title>
    assert "Acta: Asamblea de marzo" in titles  # the minutes' own heading, as a bookmark
    # A draft is not the members' to read, in any format; approved, it is.
    assert member.get(_url(meeting_ref, "/export.pdf")).status_code == 404
    _approve(app, people, meeting_ref)
    response = member.get(_url(meeting_ref, "/export.pdf"))
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    stranger = make_user("Extraña", "extrana@otra.example")
    make_org("Otra Cooperativa", members={stranger: "admin"})
    assert client_for(app, stranger).get(_url(meeting_ref, "/export.pdf")).status_code == 404


class _NoPango(importlib.abc.MetaPathFinder):
    """What importing WeasyPrint does where cffi cannot load the system's Pango."""

    def find_spec(self, name, path=None, target=None):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0': no such file")
        return None


@pytest.mark.parametrize("missing", ["module", "system library"])
def test_without_pango_a_clear_503_not_a_crash(app, coop, make_meeting, monkeypatch, missing):
    org, people = coop
    meeting_ref = _closed(app, make_meeting, org)
    secretary = client_for(app, people["secretary"])
    secretary.get(_url(meeting_ref))
    if missing == "module":
        monkeypatch.setitem(sys.modules, "weasyprint", None)  # import raises ImportError
    else:
        monkeypatch.delitem(sys.modules, "weasyprint", raising=False)
        monkeypatch.setattr(sys, "meta_path", [_NoPango(), *sys.meta_path])
    response = secretary.get(_url(meeting_ref, "/export.pdf"), headers={"Accept-Language": "en"})
    assert response.status_code == 503
    page = text_of(response)
    assert "PDF export needs the Pango library" in page and "Markdown or HTML instead" in page
    page = text_of(secretary.get(_url(meeting_ref, "/export.pdf")))  # Spanish by default
    assert "la biblioteca Pango" in page and "en Markdown o HTML" in page
    response = secretary.get(
        _url(meeting_ref, "/export.pdf"), headers={"Accept": "application/json"}
    )
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "pdf_unavailable"
    # The other formats still work.
    assert secretary.get(_url(meeting_ref, "/export.md")).status_code == 200


@needs_pango
def test_a_library_failing_while_rendering_is_the_same_clear_503(app, monkeypatch):
    import weasyprint

    class Broken:
        def __init__(self, **_kwargs):
            raise OSError("cannot load library 'libpangoft2-1.0-0'")

    monkeypatch.setattr(weasyprint, "HTML", Broken)
    with app.test_request_context(), pytest.raises(pdf.PdfUnavailable) as refused:
        pdf.render_pdf("<p>x</p>")
    assert refused.value.status == 503


@needs_pango
def test_rendering_fetches_nothing_from_the_network_or_the_disk():
    import weasyprint

    fetcher = pdf._offline_fetcher(weasyprint)
    for url in ("http://127.0.0.1:9/logo.png", "https://example.org/x.css", "file:///etc/passwd"):
        with pytest.raises(ValueError, match="not fetched"):
            fetcher(url) if callable(fetcher) else fetcher.fetch(url)
    document = pdf.render_pdf(
        '<title>t</title><link rel="stylesheet" href="file:///etc/passwd">'
        '<img src="http://127.0.0.1:9/logo.png"><p>Acta</p>'
    )
    assert document.startswith(b"%PDF-")


_UNDER_GEVENT = """
from gevent import monkey
monkey.patch_all()
import time, gevent
from assembly.minutes.pdf import render_pdf
ticks = []
def room():  # stands for a live room, answering every 10 ms
    while True:
        gevent.sleep(0.01)
        ticks.append(time.monotonic())
gevent.spawn(room)
gevent.sleep(0.05)
paragraph = "Se pone a consideración la compra de la plegadora. " * 10
html = "<title>Acta</title>" + "".join(f"<h2>Punto {i}</h2><p>{paragraph}</p>" for i in range(40))
start = time.monotonic()
document = render_pdf(html)
end = time.monotonic()
print(document[:5].decode(), sum(start < t < end for t in ticks), round(end - start, 2))
"""


@needs_pango
def test_under_the_servers_gevent_rooms_keep_moving_while_a_pdf_renders():
    """`assembly serve` runs on gevent: a render in the event loop would stop every room of
    the process for as long as it takes."""
    result = subprocess.run(
        [sys.executable, "-c", _UNDER_GEVENT],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    header, ticks, seconds = result.stdout.split()
    assert header == "%PDF-"
    # Blocked, the room would not have ticked once; here it ticks all along (every 10 ms,
    # slowed by the shared interpreter).
    assert int(ticks) >= min(5, float(seconds) * 20), result.stdout
