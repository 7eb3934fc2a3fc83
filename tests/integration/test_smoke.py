"""The skeleton answers: a record can be created and read back over HTTP."""

from fastapi.testclient import TestClient


def test_program_round_trip(api: TestClient) -> None:
    created = api.post("/api/v1/programs", json={"key": "launch", "name": "Launch"})
    assert created.status_code == 201, created.text
    read = api.get("/api/v1/programs/launch")
    assert read.json()["name"] == "Launch"


def test_cli_init_prints_a_key(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("init", "--json")
    assert result.exit_code == 0, result.output
    assert '"key": "lf_' in result.output
