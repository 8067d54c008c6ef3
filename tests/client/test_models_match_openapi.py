"""The client's models are checked against the hub's own /openapi.json: every field of each response schema is
in the client model and of a compatible JSON type, and the client expects nothing the hub does not send. A change
on either side without the other fails here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from sharedhash.client import models
from sharedhash.server.app import create_app
from tests.support.hub import make_settings

#: Each client model and the response schema (component) it reads.
PAIRS: list[tuple[type[BaseModel], str]] = [
    (models.Org, "OrgOut"),
    (models.OrgSuspension, "SuspensionOut"),
    (models.ApiKey, "KeyOut"),
    (models.IssuedKey, "IssuedKeyOut"),
    (models.CreatedOrg, "OrgCreated"),
    (models.Share, "ShareIn"),
    (models.HashList, "ListOut"),
    (models.Hash, "HashOut"),
    (models.FeedbackCounts, "FeedbackCounts"),
    (models.Entry, "EntryOut"),
    (models.EntryAdded, "EntryAdded"),
    (models.EntryPage, "EntryPage"),
    (models.Feedback, "FeedbackOut"),
    (models.DisputeVerdict, "VerdictOut"),
    (models.DisputeResolution, "ResolutionOut"),
    (models.EntryDisputes, "EntryDisputesOut"),
    (models.DisputeInboxItem, "InboxItemOut"),
    (models.DisputePolicy, "PolicyOut"),
    (models.Change, "ChangeOut"),
    (models.FeedPage, "FeedPageOut"),
    (models.OwnVerdict, "OwnVerdictOut"),
    (models.Match, "MatchOut"),
    (models.MatchedSeconds, "SecondsOut"),
    (models.LookupResult, "FileLookupOut"),
    (models.FileHash, "FileHashOut"),
    (models.ImportLineError, "ImportLineError"),
    (models.ImportResult, "ImportOut"),
    (models.AuditEvent, "AuditEventOut"),
    (models.CheckMessage, "MessageOut"),
    (models.DeterrenceResource, "ResourceOut"),
    (models.DeterrenceExplanation, "ExplainOut"),
    (models.DeterrenceCheck, "CheckOut"),
    (models.DeterrenceReading, "ReadingOut"),
    (models.DeterrenceStep, "StepOut"),
    (models.DeterrenceCharacter, "CharacterOut"),
    (models.DeterrenceNearMiss, "NearMissOut"),
    (models.DeterrenceSettings, "SettingsOut"),
    (models.DeterrenceRuleCount, "RuleCountOut"),
    (models.DeterrenceDay, "DayOut"),
    (models.WebhookEventCounts, "WebhookEventCounts"),
    (models.WebhookEndpoint, "WebhookEndpointOut"),
    (models.WebhookEndpointSecret, "WebhookEndpointSecretOut"),
    (models.WebhookEvent, "WebhookEventOut"),
    (models.WebhookAttempt, "WebhookAttemptOut"),
    (models.WebhookEventDetail, "WebhookEventDetailOut"),
    (models.WebhookRedelivered, "WebhookRedeliveredOut"),
]


@pytest.fixture(scope="module")
def components(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp: Path = tmp_path_factory.mktemp("openapi")
    app = create_app(make_settings(tmp, f"sqlite:///{tmp / 'hub.db'}"))
    schemas: dict[str, Any] = app.openapi()["components"]["schemas"]
    return schemas


def json_types(prop: dict[str, Any], refs: dict[str, Any], names: dict[str, str]) -> set[str]:
    """The JSON types a property may take: an enum is a string, a nested model is ``object:<server schema name>``
    (``names`` maps the client's model names to the server's), a string's format is ignored."""
    if "$ref" in prop:
        target = prop["$ref"].rsplit("/", 1)[-1]
        found = refs[target]
        if "enum" in found:
            return {found.get("type", "string")}
        return {f"object:{names.get(target, target)}"}
    if "anyOf" in prop:
        return set().union(*(json_types(p, refs, names) for p in prop["anyOf"]))
    if "enum" in prop:
        return {prop.get("type", "string")}
    kind = prop.get("type", "any")
    if kind == "array":
        items = json_types(prop.get("items", {}), refs, names)
        return {f"array of {'|'.join(sorted(items))}"}
    return {kind}


#: Client model name -> the server schema it reads.
TO_SERVER = {model.__name__: name for model, name in PAIRS}


@pytest.mark.parametrize(("model", "name"), PAIRS, ids=[name for _, name in PAIRS])
def test_client_model_matches_the_response_schema(
    model: type[BaseModel], name: str, components: dict[str, Any]
) -> None:
    server = components[name]
    client = model.model_json_schema(mode="validation")
    defs = client.get("$defs", {})
    assert set(client["properties"]) == set(server["properties"]), f"{model.__name__} and {name} differ in fields"
    for field, prop in server["properties"].items():
        want = json_types(prop, components, {})
        got = json_types(client["properties"][field], defs, TO_SERVER)
        # The client may accept more (e.g. null where the hub always sends a value), never less.
        assert want <= got or "any" in got or want == {"any"}, f"{model.__name__}.{field}: {got} vs {name}: {want}"
    # A field the client requires is always in the hub's answers: required there, or with a default it sends.
    optional = set(client.get("required", [])) - set(server.get("required", []))
    assert all("default" in server["properties"][f] for f in optional), f"{model.__name__} requires {optional}"


def test_every_client_response_model_is_checked() -> None:
    checked = {model for model, _ in PAIRS}
    defined = {
        obj
        for obj in vars(models).values()
        if isinstance(obj, type) and issubclass(obj, BaseModel) and obj.__module__ == models.__name__
    }
    assert defined - checked <= {models._Model}
