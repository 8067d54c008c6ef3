"""Deterrence messages: language and country fallbacks, resources, the HTML snippet, catalog validation."""

from __future__ import annotations

import pytest

from sharedhash.deterrence.errors import InvalidCatalogError
from sharedhash.deterrence.messages import DEFAULT_TEMPLATES, MESSAGE_PARTS, MessageCatalog, parse_locale


def test_every_default_template_has_the_four_parts() -> None:
    for template in DEFAULT_TEMPLATES:
        assert list(template.parts()) == list(MESSAGE_PARTS)
        assert all(template.parts().values())
        assert template.title


@pytest.mark.parametrize(
    ("locale", "country", "language", "first_resource"),
    [
        ("en-GB", None, "en", "Stop It Now (UK and Ireland)"),
        ("en", "us", "en", "Stop It Now (USA)"),
        ("de-DE", None, "de", "Kein Täter werden"),
        ("nl_NL", None, "nl", "Stop it Now! Nederland"),
        ("fr-CA", None, "fr", "Troubled Desire"),
        ("xx", None, "en", "Troubled Desire"),
        (None, None, "en", "Troubled Desire"),
        ("not a locale", "ZZ", "en", "Troubled Desire"),
    ],
)
def test_language_and_country_fallbacks(locale: str | None, country: str | None, language: str,
                                        first_resource: str) -> None:  # fmt: skip
    message = MessageCatalog().message(locale, country)
    assert message.language == language
    assert message.resources[0].name == first_resource
    assert all(r.url.startswith("https://") for r in message.resources)


def test_parse_locale() -> None:
    assert parse_locale("pt-BR") == ("pt", "BR")
    assert parse_locale("pt_br") == ("pt", "BR")
    assert parse_locale("") == (None, None)
    assert parse_locale("12-34") == (None, None)


def test_html_snippet_escapes_everything() -> None:
    catalog = MessageCatalog.from_dict(
        {
            "templates": {"en": {"title": "<b>t</b>", "illegal": "i & j", "harm": "h", "consequences": "c",
                                 "help": "<script>x</script>"}},
            "resources": [{"name": "Help <now>", "url": "https://example.org/?a=1&b=\"2\"", "languages": ["en"]}],
        }
    )  # fmt: skip
    snippet = catalog.message("en").to_html()
    assert "<script>" not in snippet
    assert "&lt;script&gt;" in snippet
    assert "&lt;b&gt;t&lt;/b&gt;" in snippet
    assert "i &amp; j" in snippet
    assert 'href="https://example.org/?a=1&amp;b=&quot;2&quot;"' in snippet


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({}, "needs \"templates\""),
        ({"templates": {"en": {"title": "t"}}}, "lacks illegal, harm, consequences, help"),
        ({"templates": {"english!": {}}}, "lacks"),
        ({"templates": {"de": {"title": "t", "illegal": "i", "harm": "h", "consequences": "c", "help": "x"}}},
         "default language 'en' has no template"),
        ({"templates": {"en": {"title": "t", "illegal": "i", "harm": "h", "consequences": "c", "help": "x"}},
          "resources": [{"name": "n", "url": "http://insecure", "languages": ["en"]}]}, "https://"),
        ({"templates": {"en": {"title": "t", "illegal": "i", "harm": "h", "consequences": "c", "help": "x"}},
          "resources": "none"}, "must be a list"),
    ],
)  # fmt: skip
def test_bad_catalogs_are_rejected(data: dict[str, object], reason: str) -> None:
    with pytest.raises(InvalidCatalogError, match=reason):
        MessageCatalog.from_dict(data)
