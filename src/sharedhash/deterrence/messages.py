"""Deterrence messages and help resources: what a deterred searcher is shown, per language and country.

The defaults are a starting point that each org reviews and edits: the four parts every deterrence programme
uses (the material is illegal, it harms real children, searching has consequences, confidential help exists),
and help services that are public, confidential and run by established organisations.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sharedhash.deterrence.errors import InvalidCatalogError

MESSAGE_PARTS = ("illegal", "harm", "consequences", "help")


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    """The four parts of a deterrence message in one language, plus a title."""

    language: str
    title: str
    illegal: str
    harm: str
    consequences: str
    help: str

    def parts(self) -> dict[str, str]:
        """The four parts by name, in display order."""
        return {name: getattr(self, name) for name in MESSAGE_PARTS}


@dataclass(frozen=True, slots=True)
class HelpResource:
    """A confidential help service. ``countries`` empty means it serves people anywhere."""

    name: str
    url: str
    languages: tuple[str, ...]
    countries: tuple[str, ...] = ()
    description: str = ""

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "url": self.url,
            "languages": list(self.languages),
            "countries": list(self.countries),
            "description": self.description,
        }


DEFAULT_TEMPLATES: tuple[MessageTemplate, ...] = (
    MessageTemplate(
        "en",
        "This search may be for illegal material",
        "Images and videos of children being sexually abused are illegal to view, download or share.",
        "Every image shows a real child who was harmed, and is harmed again each time it is viewed.",
        "Searching for this material can lead to arrest, prosecution and a criminal record.",
        "If you are worried about your thoughts or behaviour, confidential help is available now.",
    ),
    MessageTemplate(
        "de",
        "Diese Suche könnte illegalen Inhalten gelten",
        "Bilder und Videos, die sexuellen Missbrauch von Kindern zeigen, anzusehen, herunterzuladen oder zu teilen "
        "ist strafbar.",
        "Jedes Bild zeigt ein echtes Kind, dem Leid zugefügt wurde, und jedes Ansehen verletzt es erneut.",
        "Die Suche nach solchem Material kann zu Festnahme, Strafverfolgung und Vorstrafen führen.",
        "Wenn Sie sich wegen Ihrer Gedanken oder Ihres Verhaltens sorgen: vertrauliche Hilfe gibt es jetzt.",
    ),
    MessageTemplate(
        "fr",
        "Cette recherche pourrait viser des contenus illégaux",
        "Regarder, télécharger ou partager des images et vidéos d'abus sexuels sur des enfants est illégal.",
        "Chaque image montre un enfant réel qui a été victime, et qui l'est à nouveau à chaque visionnage.",
        "Rechercher ces contenus peut entraîner une arrestation, des poursuites et une condamnation.",
        "Si vos pensées ou votre comportement vous inquiètent, une aide confidentielle existe dès maintenant.",
    ),
    MessageTemplate(
        "es",
        "Esta búsqueda podría ser de material ilegal",
        "Ver, descargar o compartir imágenes y vídeos de abuso sexual infantil es ilegal.",
        "Cada imagen muestra a un niño o niña real que sufrió daño, y vuelve a sufrirlo cada vez que se mira.",
        "Buscar este material puede acarrear detención, procesamiento y antecedentes penales.",
        "Si le preocupan sus pensamientos o su conducta, hay ayuda confidencial disponible ahora.",
    ),
    MessageTemplate(
        "nl",
        "Deze zoekopdracht kan gaan over illegaal materiaal",
        "Beelden van seksueel misbruik van kinderen bekijken, downloaden of delen is strafbaar.",
        "Elk beeld toont een echt kind dat schade is aangedaan, en dat opnieuw wordt geschaad bij elke weergave.",
        "Zoeken naar dit materiaal kan leiden tot arrestatie, vervolging en een strafblad.",
        "Maakt u zich zorgen over uw gedachten of gedrag? Er is nu vertrouwelijke hulp.",
    ),
)

# Public, confidential help services run by established organisations. Orgs should review this list for the
# countries they serve; the service picks country-specific entries first.
DEFAULT_RESOURCES: tuple[HelpResource, ...] = (
    HelpResource("Stop It Now (UK and Ireland)", "https://www.stopitnow.org.uk", ("en",), ("GB", "IE"),
                 "Confidential helpline and self-help, run by the Lucy Faithfull Foundation."),
    HelpResource("Stop It Now (USA)", "https://www.stopitnow.org", ("en",), ("US",),
                 "Confidential helpline and online help."),
    HelpResource("Stop it Now! Nederland", "https://www.stopitnow.nl", ("nl",), ("NL", "BE"),
                 "Anonieme en vertrouwelijke hulplijn."),
    HelpResource("Kein Täter werden", "https://www.kein-taeter-werden.de", ("de",), ("DE",),
                 "Kostenloses, vertrauliches Therapieangebot."),
    HelpResource("Troubled Desire", "https://www.troubled-desire.com", ("en", "de", "fr", "es", "nl"), (),
                 "Anonymous online self-help, available in several languages."),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DeterrenceMessage:
    """What one deterred query is answered with: a message in one language and the help resources to show."""

    language: str
    title: str
    parts: dict[str, str]
    resources: tuple[HelpResource, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form, the shape of the service's ``message`` and ``resources`` fields."""
        return {
            "language": self.language,
            "title": self.title,
            "parts": dict(self.parts),
            "resources": [r.to_dict() for r in self.resources],
        }

    def to_html(self) -> str:
        """A self-contained HTML snippet for embedding beside search results; every text is escaped."""
        esc = html.escape
        items = "".join(
            f'<li><a href="{esc(r.url, quote=True)}" rel="noopener">{esc(r.name)}</a>'
            + (f" <span>{esc(r.description)}</span>" if r.description else "")
            + "</li>"
            for r in self.resources
        )
        paragraphs = "".join(f'<p class="sharedhash-{name}">{esc(text)}</p>' for name, text in self.parts.items())
        return (
            f'<div class="sharedhash-deterrence" lang="{esc(self.language, quote=True)}" role="alert">'
            f"<h2>{esc(self.title)}</h2>{paragraphs}<ul>{items}</ul></div>"
        )


@dataclass(frozen=True, slots=True)
class MessageCatalog:
    """Templates per language and help resources; ``default_language`` is used when a locale has no template."""

    templates: Mapping[str, MessageTemplate] = field(default_factory=lambda: {t.language: t for t in DEFAULT_TEMPLATES})
    resources: tuple[HelpResource, ...] = DEFAULT_RESOURCES
    default_language: str = "en"
    max_resources: int = 3

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> MessageCatalog:
        """Build from ``{"templates": {lang: {title, illegal, harm, consequences, help}}, "resources": [...]}``.

        Raises :class:`InvalidCatalogError` naming the missing or malformed part.
        """
        raw_templates = data.get("templates", {})
        if not isinstance(raw_templates, Mapping) or not raw_templates:
            raise InvalidCatalogError('the catalog needs "templates": an object of languages')
        templates: dict[str, MessageTemplate] = {}
        for lang, body in raw_templates.items():
            if not isinstance(body, Mapping):
                raise InvalidCatalogError(f"template {lang!r} must be an object")
            missing = [k for k in ("title", *MESSAGE_PARTS) if not isinstance(body.get(k), str) or not body.get(k)]
            if missing:
                raise InvalidCatalogError(f"template {lang!r} lacks {', '.join(missing)}")
            templates[_language(str(lang))] = MessageTemplate(
                _language(str(lang)), *(str(body[k]) for k in ("title", *MESSAGE_PARTS))
            )
        resources = tuple(_resource(r, i) for i, r in enumerate(_as_list(data.get("resources", []))))
        default_language = _language(str(data.get("default_language", "en")))
        if default_language not in templates:
            raise InvalidCatalogError(f"default language {default_language!r} has no template")
        return cls(templates, resources or DEFAULT_RESOURCES, default_language)

    def message(self, locale: str | None = None, country: str | None = None) -> DeterrenceMessage:
        """The message for a locale (``"de-DE"``, ``"fr"``) and country (ISO 3166 alpha-2), with fallbacks."""
        language, locale_country = parse_locale(locale)
        country = (country or locale_country or "").upper() or None
        template = self.templates.get(language or "") or self.templates[self.default_language]
        return DeterrenceMessage(
            template.language,
            template.title,
            template.parts(),
            tuple(self.resources_for(template.language, country)),
        )

    def resources_for(self, language: str, country: str | None) -> list[HelpResource]:
        """Resources for the country first, then ones anywhere in the language, then any that serve anywhere."""
        ranked: list[tuple[int, int, HelpResource]] = []
        for order, r in enumerate(self.resources):
            if country and country in r.countries:
                rank = 0 if language in r.languages else 1
            elif not r.countries:
                rank = 2 if language in r.languages else 3
            else:
                continue
            ranked.append((rank, order, r))
        ranked.sort(key=lambda t: (t[0], t[1]))
        return [r for _, _, r in ranked[: self.max_resources]]


def parse_locale(locale: str | None) -> tuple[str | None, str | None]:
    """``"pt-BR"`` / ``"pt_BR"`` / ``"pt"`` to (language, country); anything unparseable gives (None, None)."""
    if not locale or not isinstance(locale, str):
        return None, None
    parts = locale.replace("_", "-").split("-")
    language = parts[0].lower()
    if not (2 <= len(language) <= 3 and language.isascii() and language.isalpha()):
        return None, None
    country = parts[1].upper() if len(parts) > 1 and len(parts[1]) == 2 and parts[1].isalpha() else None
    return language, country


def _language(value: str) -> str:
    language, _ = parse_locale(value)
    if language is None:
        raise InvalidCatalogError(f"{value!r} is not a language code such as 'en' or 'de'")
    return language


def _as_list(value: object) -> Iterable[object]:
    if not isinstance(value, list):
        raise InvalidCatalogError('"resources" must be a list')
    return value


def _resource(value: object, index: int) -> HelpResource:
    if not isinstance(value, Mapping):
        raise InvalidCatalogError(f"resource {index} must be an object")
    name, url = value.get("name"), value.get("url")
    if not isinstance(name, str) or not name:
        raise InvalidCatalogError(f"resource {index} lacks a name")
    if not isinstance(url, str) or not url.startswith("https://"):
        raise InvalidCatalogError(f"resource {index} ({name}) needs an https:// url")
    languages = value.get("languages", [])
    countries = value.get("countries", [])
    if not isinstance(languages, list) or not languages or not isinstance(countries, list):
        raise InvalidCatalogError(f'resource {index} ({name}) needs "languages" (a non-empty list)')
    return HelpResource(
        name,
        url,
        tuple(_language(str(x)) for x in languages),
        tuple(str(c).upper() for c in countries),
        str(value.get("description", "")),
    )
