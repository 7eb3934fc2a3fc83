"""The REST API documents itself (SPEC §6.2: OpenAPI at /openapi.json)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.integration.api_world import PATHS, http  # noqa: F401  (the faster app fixture)


def test_openapi_lists_every_resource_path_and_method(api: TestClient) -> None:
    answer = api.get("/openapi.json")
    assert answer.status_code == 200
    paths = answer.json()["paths"]
    for resource in (*PATHS, "companies"):
        assert set(paths[f"/api/v1/{resource}"]) == {"get", "post"}, resource
        assert set(paths[f"/api/v1/{resource}/{{ident}}"]) == {"get", "patch", "delete"}, resource
    assert "patch" in paths["/api/v1/companies/{ident}/settings"]
    assert "get" in paths["/api/v1/me"]


def test_openapi_describes_create_and_patch_bodies(api: TestClient) -> None:
    schemas = api.get("/openapi.json").json()["components"]["schemas"]
    lead = schemas["LeadIn"]["properties"]
    assert {"contact_email", "campaign", "program", "owner", "account_domain"} <= set(lead)
    assert "required" not in schemas["LeadPatch"]
    assert schemas["ProgramIn"]["required"] == ["key", "name"]
    assert schemas["ProgramPatch"]["properties"]["key"].get("pattern")


def test_the_api_serves_its_documentation_without_a_key(api: TestClient) -> None:
    assert api.get("/docs").status_code == 200
