"""Settings read without pydantic agree with the settings class: same defaults, same overrides and errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from sharedhash.quick_settings import DEFAULTS, setting
from sharedhash.settings import Settings, get_settings


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("fresh_settings")
def test_defaults_are_the_settings_class_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in DEFAULTS:
        monkeypatch.delenv(f"SHAREDHASH_{name.upper()}", raising=False)
        assert Settings.model_fields[name].default == DEFAULTS[name]
        assert setting(name) == getattr(Settings(), name)


@pytest.mark.usefixtures("fresh_settings")
@pytest.mark.parametrize("variable", ["SHAREDHASH_MAX_FILE_BYTES", "sharedhash_max_file_bytes"])
def test_an_environment_variable_goes_through_the_settings_class(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "4096")
    assert setting("max_file_bytes") == 4096
    get_settings.cache_clear()
    monkeypatch.setenv(variable, "0")  # below the field's minimum: the settings class's own error
    with pytest.raises(ValidationError):
        setting("max_file_bytes")


def test_other_settings_are_not_quick() -> None:
    with pytest.raises(KeyError, match="not a quick setting"):
        setting("database_url")
