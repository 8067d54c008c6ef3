"""The deterrence service of a running hub: checks against each org's term rules, messages, links, counters.

It never stores or logs a query or a client address. A check's only lasting trace is a counter increment per
(org, rule id, UTC day); help links go through opaque random tokens (see :mod:`sharedhash.store.deterrence`).
"""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sharedhash.deterrence import CheckResult
from sharedhash.deterrence.errors import InvalidCatalogError
from sharedhash.deterrence.lexicon import load_lexicon
from sharedhash.deterrence.messages import MESSAGE_PARTS, DeterrenceMessage, HelpResource, MessageCatalog
from sharedhash.server.deterrence import tokens
from sharedhash.server.deterrence.limits import CounterBuffer, PublicLimiter, today
from sharedhash.server.deterrence.rules import RuleCache
from sharedhash.server.loops import Loop
from sharedhash.settings import Settings
from sharedhash.store import audit
from sharedhash.store import deterrence as store
from sharedhash.store.db import Database
from sharedhash.store.visibility import Caller

log = logging.getLogger(__name__)

#: Length limits of an org's catalog: messages are a few sentences, a help list a handful of services.
MAX_TITLE_CHARS = 200
MAX_PART_CHARS = 1000
MAX_NAME_CHARS = 200
MAX_DESCRIPTION_CHARS = 500
MAX_URL_CHARS = 2000
MAX_TEMPLATES = 60
MAX_RESOURCES = 50
#: Default public rate per org (checks a minute, all clients together).
DEFAULT_PUBLIC_PER_MINUTE = 600
#: How long the org a public check path names is remembered (public checks then need no database read).
PUBLIC_ORG_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class OrgSettings:
    """An org's effective deterrence settings."""

    public: bool
    public_per_minute: int
    catalog: MessageCatalog
    custom_catalog: bool
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class CheckAnswer:
    """What a check answers: the verdict, the message with click-through resources, and the library result."""

    result: CheckResult
    message: DeterrenceMessage | None

    @property
    def deter(self) -> bool:
        """Whether the query is deterred."""
        return self.result.deter


def catalog_to_dict(catalog: MessageCatalog) -> dict[str, Any]:
    """The JSON form :meth:`MessageCatalog.from_dict` reads."""
    return {
        "default_language": catalog.default_language,
        "templates": {lang: {"title": t.title, **t.parts()} for lang, t in sorted(catalog.templates.items())},
        "resources": [r.to_dict() for r in catalog.resources],
    }


def _check_text(value: str, what: str, limit: int) -> None:
    if len(value) > limit:
        raise InvalidCatalogError(f"{what} is {len(value)} characters; the limit is {limit}")
    if any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\n" for c in value):
        raise InvalidCatalogError(f"{what} contains control characters or invalid Unicode")


def validate_catalog(data: Mapping[str, object]) -> MessageCatalog:
    """Parse an org's catalog and enforce the service's limits; raise :class:`InvalidCatalogError` naming the part."""
    catalog = MessageCatalog.from_dict(data)
    if len(catalog.templates) > MAX_TEMPLATES:
        raise InvalidCatalogError(f"{len(catalog.templates)} languages; the limit is {MAX_TEMPLATES}")
    raw_resources = data.get("resources")
    if isinstance(raw_resources, list) and len(raw_resources) > MAX_RESOURCES:
        raise InvalidCatalogError(f"{len(raw_resources)} resources; the limit is {MAX_RESOURCES}")
    for lang, template in catalog.templates.items():
        _check_text(template.title, f"template {lang!r} title", MAX_TITLE_CHARS)
        for part in MESSAGE_PARTS:
            _check_text(getattr(template, part), f"template {lang!r} {part}", MAX_PART_CHARS)
    for index, resource in enumerate(catalog.resources):
        _check_text(resource.name, f"resource {index} name", MAX_NAME_CHARS)
        _check_text(resource.description, f"resource {index} description", MAX_DESCRIPTION_CHARS)
        _check_text(resource.url, f"resource {index} url", MAX_URL_CHARS)
        if any(c.isspace() for c in resource.url) or len(resource.url) <= len("https://"):
            raise InvalidCatalogError(f"resource {index} ({resource.name}) has a malformed url")
    return catalog


class DeterrenceService:
    """Everything the deterrence routes share: rules per org, settings cache, links, counters, public limits."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.rules = RuleCache(
            db, lexicon=load_lexicon(settings.deterrence_lexicon), max_query_chars=settings.deterrence_max_query_chars
        )
        self.counters = CounterBuffer(db)
        self.limiter = PublicLimiter(settings.deterrence_public_client_per_minute)
        self._settings: dict[int, OrgSettings] = {}
        self._links: dict[tuple[int, str, str], int] = {}
        self._public_orgs: dict[str, tuple[float, int | None]] = {}  # name or id -> (valid until, org id)
        self._key: bytes | None = None
        self._lock = threading.Lock()

    # -- settings -------------------------------------------------------------------------------------------

    def org_settings(self, org_id: int) -> OrgSettings:
        """The org's effective settings (cached; changes through the API or the watcher replace the cache)."""
        found = self._settings.get(org_id)
        if found is None:
            with self.db.reading() as session:
                row = store.get_settings(session, org_id)
                found = self._to_settings(row)
            self._settings[org_id] = found
        return found

    @staticmethod
    def _to_settings(row: Any) -> OrgSettings:
        if row is None:
            return OrgSettings(False, DEFAULT_PUBLIC_PER_MINUTE, MessageCatalog(), False, None)
        catalog = MessageCatalog()
        if row.catalog is not None:
            try:
                catalog = MessageCatalog.from_dict(row.catalog)
            except InvalidCatalogError:
                log.error("org %d: the stored deterrence catalog is invalid; using the defaults", row.org_id)
        return OrgSettings(row.public, row.public_per_minute, catalog, row.catalog is not None, row.updated_at)

    def forget_settings(self, org_id: int) -> None:
        """Drop the cached settings of an org (after a change; public mode may have changed, so the public
        names it was cached under are forgotten too)."""
        self._settings.pop(org_id, None)
        with self._lock:
            self._public_orgs.clear()

    def update_settings(
        self,
        caller: Caller,
        *,
        public: bool | None,
        public_per_minute: int | None,
        catalog: Mapping[str, object] | None,
        reset_catalog: bool,
        changed: list[str],
    ) -> OrgSettings:
        """Change the caller's org's settings (``None``: unchanged; ``reset_catalog``: back to the defaults) in one
        transaction with its audit record; the cached settings are dropped, and the new ones returned."""
        stored = None
        if catalog is not None:
            try:
                stored = catalog_to_dict(validate_catalog(catalog))
            except InvalidCatalogError:
                raise
            except (TypeError, ValueError, AttributeError) as exc:
                raise InvalidCatalogError(f"the catalog is malformed: {exc}") from None
        with self.db.writing() as session:
            store.save_settings(
                session,
                caller.org_id,
                public=public,
                public_per_minute=public_per_minute,
                catalog=stored,
                reset_catalog=reset_catalog,
            )
            audit.record(session, caller, "deterrence.settings", detail={"changed": changed})
        self.forget_settings(caller.org_id)
        return self.org_settings(caller.org_id)

    def day_counts(self, org_id: int, days: int) -> list[Any]:
        """The org's counter rows of the last ``days`` UTC days, today included (pending counts written first)."""
        self.counters.flush()
        since = today().date() - timedelta(days=days - 1)
        with self.db.reading() as session:
            return list(store.counters(session, org_id, since))

    def public_org(self, ref: str) -> tuple[int, OrgSettings] | None:
        """The org a public check path names (its name or id) and its settings if public mode is on, else
        ``None``: an org without public mode and a name no org has are one answer, remembered alike for
        ``PUBLIC_ORG_SECONDS`` (renamed and deleted orgs are seen that much later), so that neither the answer nor
        its time tells a caller without a key whether an org exists (issue 18 F11)."""
        with self.db.reading() as session:
            found = store.find_org(session, ref)
        answer = (found.id, self.org_settings(found.id)) if found is not None else None
        if answer is not None and not answer[1].public:
            answer = None
        with self._lock:
            if len(self._public_orgs) > 10_000:  # unknown names, e.g. a scan: do not grow without bound
                self._public_orgs.clear()
            self._public_orgs[ref] = (time.monotonic() + PUBLIC_ORG_SECONDS, answer[0] if answer else None)
        return answer

    def public_org_cached(self, ref: str) -> tuple[bool, tuple[int, OrgSettings] | None]:
        """:meth:`public_org` from memory: ``(known, answer)``; ``known`` is False when the database must be
        asked. Not public and unknown take the same steps here."""
        known = self._public_orgs.get(ref)
        if known is None or known[0] < time.monotonic():
            return False, None
        if known[1] is None:
            return True, None
        settings = self._settings.get(known[1])
        if settings is None or not settings.public:
            return False, None
        return True, (known[1], settings)

    # -- checks ---------------------------------------------------------------------------------------------

    def check(self, org_id: int, query: str, locale: str | None, country: str | None) -> CheckAnswer:
        """Check a query for an org and count it; the query is not kept anywhere."""
        result = self.rules.rules_for(org_id).matcher.check(query)
        top = result.top
        self.counters.count(org_id, top.rule.rule_id if top else None, check=True)
        if top is None:
            return CheckAnswer(result, None)
        message = self.org_settings(org_id).catalog.message(locale, country)
        return CheckAnswer(result, message)

    def with_links(self, org_id: int, rule_id: str, message: DeterrenceMessage, base_url: str) -> DeterrenceMessage:
        """The message with each resource URL replaced by a fresh click-through link."""
        base = (self.settings.deterrence_click_base_url or base_url).rstrip("/")
        key = self._link_key()
        resources = tuple(
            replace(r, url=f"{base}/v1/deterrence/click/{tokens.seal(key, self._link_id(org_id, rule_id, r.url))}")
            for r in message.resources
        )
        return replace(message, resources=resources)

    def links_cached(self, org_id: int, rule_id: str, message: DeterrenceMessage) -> bool:
        """Whether :meth:`with_links` can answer from memory, without a database write."""
        return self._key is not None and all((org_id, rule_id, r.url) in self._links for r in message.resources)

    def _link_key(self) -> bytes:
        if self._key is None:
            with self.db.writing() as session:
                self._key = store.link_secret(session)
        return self._key

    def _link_id(self, org_id: int, rule_id: str, url: str) -> int:
        key = (org_id, rule_id, url)
        found = self._links.get(key)
        if found is None:
            with self.db.writing() as session:
                found = store.link_id(session, org_id, rule_id, url)
            with self._lock:
                if len(self._links) > 100_000:
                    self._links.clear()
                self._links[key] = found
        return found

    def click(self, token: str) -> str | None:
        """The URL a click-through token leads to, if it is still one of its org's help resources; counts it."""
        link_id = tokens.unseal(self._link_key(), token)
        if link_id is None:
            return None
        with self.db.reading() as session:
            link = store.get_link(session, link_id)
        if link is None:
            return None
        allowed = {r.url for r in self.org_settings(link.org_id).catalog.resources}
        if link.url not in allowed:
            return None  # no open redirect: only a current help resource of the link's own org
        self.counters.count(link.org_id, link.rule_id, click=True)
        return link.url

    # -- background -----------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """One watcher round: rebuild changed orgs' matchers; drop settings changed by another process."""
        self.rules.refresh()
        with self.db.reading() as session:
            versions = store.settings_versions(session)
        for org_id, cached in list(self._settings.items()):
            if versions.get(org_id) != cached.updated_at:
                self.forget_settings(org_id)

    def _warm(self) -> None:
        self.rules.warm()  # if it fails, the first check of an org builds its rules instead

    def loops(self) -> list[Loop]:
        """The rules watcher and the counter flusher, for the hub's loop registry."""
        return [
            Loop(
                "sharedhash-deterrence-rules",
                "refreshing deterrence rules",
                self.settings.deterrence_refresh_seconds,
                self.refresh,
                first=self._warm,
            ),
            Loop(
                "sharedhash-deterrence-counters",
                "writing deterrence counters",
                self.settings.deterrence_counter_flush_seconds,
                self.counters.flush,
                last=self.counters.flush,
            ),
        ]


def resource_dict(resource: HelpResource) -> dict[str, str]:
    """A resource as a check answers it: name, (click-through) url and description."""
    return {"name": resource.name, "url": resource.url, "description": resource.description}
