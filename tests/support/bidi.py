"""A small WebDriver BiDi driver for Debian's Firefox ESR (the installed Playwright's BiDi Firefox channel sends a
command, ``emulation.setMediaFeaturesOverride``, that Firefox ESR does not know; Playwright's own Firefox build
cannot be downloaded here). Firefox speaks BiDi natively: start it headless with a fresh profile and a free
remote-debugging port, connect to ``ws://127.0.0.1:PORT/session`` with the ``websockets`` library, and send
commands (``session.new``, ``browsingContext.navigate``, ``script.evaluate``, ``input.performActions``,
``browsingContext.captureScreenshot``)."""

from __future__ import annotations

import base64
import itertools
import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

#: Prefs of the fresh profile: no first-run pages, updates, telemetry or background connections.
PREFS = {
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.aboutwelcome.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "app.update.disabledForTesting": True,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "network.captive-portal-service.enabled": False,
    "extensions.update.enabled": False,
    "media.autoplay.default": 5,
}

#: Runs in every page before its own scripts (the page's CSP does not apply to it): collects CSP violations.
CSP_WATCH = (
    "() => { window.__csp = []; document.addEventListener('securitypolicyviolation', "
    "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI)); }"
)


def firefox_path() -> str | None:
    """Debian's Firefox ESR (or any firefox on PATH), or None."""
    return shutil.which("firefox-esr") or shutil.which("firefox")


class BidiError(AssertionError):
    """A BiDi command answered with an error."""


class Firefox:
    """One browsing context of a headless Firefox, driven over WebDriver BiDi."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        self.send("session.new", {"capabilities": {"alwaysMatch": {"acceptInsecureCerts": True}}})
        self.send("script.addPreloadScript", {"functionDeclaration": CSP_WATCH})
        tree = self.send("browsingContext.getTree", {})
        self.context: str = tree["contexts"][0]["context"]
        self.send("browsingContext.setViewport", {"context": self.context, "viewport": {"width": 1200, "height": 800}})

    def send(self, method: str, params: dict[str, Any], timeout: float = 30.0) -> dict[str, Any]:
        """Send a command and wait for its answer (events that arrive meanwhile are kept in :attr:`events`)."""
        command_id = next(self._ids)
        self.ws.send(json.dumps({"id": command_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") != command_id:
                self.events.append(message)
                continue
            if message.get("type") == "error":
                raise BidiError(f"{method}: {message.get('error')}: {message.get('message')}")
            result: dict[str, Any] = message.get("result", {})
            return result

    def goto(self, url: str) -> None:
        """Navigate and wait for the page's load."""
        self.send("browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"})

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (strings, numbers, booleans, null; else its type)."""
        answer = self.send(
            "script.evaluate",
            {
                "expression": expression,
                "target": {"context": self.context},
                "awaitPromise": True,
                "resultOwnership": "none",
            },
        )
        if answer.get("type") == "exception":
            raise BidiError(f"script error: {answer['exceptionDetails'].get('text')}")
        result = answer["result"]
        if result["type"] in ("string", "number", "boolean"):
            return result["value"]
        if result["type"] in ("null", "undefined"):
            return None
        return result["type"]

    def wait_for(self, expression: str, timeout: float = 15.0) -> None:
        """Wait until an expression is true in the page (across navigations)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.evaluate(f"document.readyState === 'complete' && !!({expression})"):
                    return
            except BidiError:
                pass  # the page is navigating
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {expression}")
            time.sleep(0.1)

    def _keys(self, *steps: tuple[str, str]) -> None:
        actions = [{"type": kind, "value": key} for kind, key in steps]
        self.send(
            "input.performActions",
            {"context": self.context, "actions": [{"type": "key", "id": "keyboard", "actions": actions}]},
        )

    def press(self, key: str) -> None:
        """Press and release a key (in the focused element, or the page)."""
        self._keys(("keyDown", key), ("keyUp", key))

    def key_down(self, key: str) -> None:
        """Hold a key down."""
        self._keys(("keyDown", key))

    def key_up(self, key: str) -> None:
        """Release a held key."""
        self._keys(("keyUp", key))

    def type_into(self, selector: str, text: str) -> None:
        """Focus an input and type the text, key by key."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        self._keys(*[step for ch in text for step in (("keyDown", ch), ("keyUp", ch))])

    def url(self) -> str:
        """The page's address."""
        return str(self.evaluate("location.href"))

    def csp_violations(self) -> list[str]:
        """The Content-Security-Policy violations the current page reported."""
        found = self.evaluate("JSON.stringify(window.__csp || [])")
        return list(json.loads(found)) if isinstance(found, str) else []

    def screenshot(self, path: Path) -> None:
        """A PNG of the viewport."""
        answer = self.send("browsingContext.captureScreenshot", {"context": self.context})
        path.write_bytes(base64.b64decode(answer["data"]))


@contextmanager
def firefox(executable: str, timeout: float = 60.0) -> Iterator[Firefox]:
    """A headless Firefox with a fresh profile, driven over BiDi; ended (and its profile removed) afterwards."""
    with tempfile.TemporaryDirectory(prefix="sharedhash-firefox-") as profile:
        (Path(profile) / "user.js").write_text(
            "".join(f'user_pref("{k}", {json.dumps(v)});\n' for k, v in PREFS.items())
        )
        process = subprocess.Popen(
            [executable, "--headless", "--no-remote", "--remote-debugging-port=0", "--profile", profile],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        drained = threading.Event()
        try:
            address = _listening_address(process, timeout, drained)
            with connect(f"{address}/session", max_size=64 * 1024 * 1024, open_timeout=timeout) as ws:
                yield Firefox(ws)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            drained.wait(10)


def _listening_address(process: subprocess.Popen[str], timeout: float, drained: threading.Event) -> str:
    """The ``ws://`` address Firefox prints once its remote agent listens (its stderr drained in a thread, closed
    at its end, then ``drained`` is set)."""
    found: list[str] = []
    ready = threading.Event()

    def drain() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            match = re.search(r"WebDriver BiDi listening on (ws://\S+)", line)
            if match and not found:
                found.append(match.group(1))
                ready.set()
        process.stderr.close()
        ready.set()
        drained.set()

    threading.Thread(target=drain, daemon=True).start()
    if not ready.wait(timeout) or not found:
        raise AssertionError("Firefox did not start its WebDriver BiDi agent")
    return found[0]
