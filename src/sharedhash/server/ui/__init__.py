"""The review pages: server-rendered (Jinja2, autoescaped) with htmx and one small script shipped in the package
(static/), under a strict Content-Security-Policy (no inline scripts or styles). routes.py: the pages;
pages.py: rendering and the HTML error page."""
