"""Minutes as PDF, through WeasyPrint (HTML and CSS to PDF).

WeasyPrint needs the system's Pango library. It is imported only when a PDF is asked for, so a
server without Pango runs as before and answers that request with a clear 503 instead of failing
at start-up or with a 500. It never reaches the network or the disk: the export page carries its
CSS inline, and any other address in it (a link, an image) is refused, only data: URLs pass.
"""

from __future__ import annotations

import logging

from flask_babel import lazy_gettext

from assembly.core.errors import DomainError

log = logging.getLogger(__name__)


class PdfUnavailable(DomainError):
    code = "pdf_unavailable"
    status = 503

    def default_message(self):
        return lazy_gettext(
            "PDF export needs the Pango library on the server, which is not installed "
            "(Debian: apt install libpango-1.0-0 libpangoft2-1.0-0). "
            "Download the minutes as Markdown or HTML instead."
        )


def _weasyprint():
    """The module, or PdfUnavailable when it or its system libraries are missing."""
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: cffi could not load libpango/libgobject
        log.warning("PDF export unavailable: %s", error)
        raise PdfUnavailable() from None
    return weasyprint


def _offline_fetcher(weasyprint):
    """A URL fetcher that fetches nothing but data: URLs."""
    urls = weasyprint.urls
    if hasattr(urls, "URLFetcher"):  # WeasyPrint 67 and later: a class

        class Offline(urls.URLFetcher):
            def fetch(self, url, headers=None):
                if not url.startswith("data:"):
                    raise ValueError(f"not fetched (offline): {url[:80]}")
                return super().fetch(url, headers)

        return Offline(allowed_protocols=("data",))

    def offline(url):  # earlier versions: a function
        if not url.startswith("data:"):
            raise ValueError(f"not fetched (offline): {url[:80]}")
        return weasyprint.default_url_fetcher(url)

    return offline


def _render(weasyprint, html: str) -> bytes:
    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=_offline_fetcher(weasyprint))
    return document.write_pdf()


_pool = None


def _off_the_event_loop(function, *args):
    """Under gevent (`assembly serve`) a render, a second for long minutes, would stop every
    room served by the process: it runs in a native thread instead, one render at a time, while
    the greenlets go on between the thread's turns at the interpreter."""
    global _pool
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return function(*args)
    if not monkey.is_module_patched("socket"):
        return function(*args)
    if _pool is None:
        from gevent.threadpool import ThreadPool

        _pool = ThreadPool(1)
    return _pool.apply(function, args)


def render_pdf(html: str) -> bytes:
    """The page as a PDF document (its <title> becomes the PDF's title)."""
    weasyprint = _weasyprint()
    try:
        return _off_the_event_loop(_render, weasyprint, html)
    except OSError as error:  # a library found at import but failing when used
        log.warning("PDF export failed: %s", error)
        raise PdfUnavailable() from None
