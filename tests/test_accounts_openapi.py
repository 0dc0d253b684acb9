"""The example's OpenAPI document: every route, the links between them, and the rules and
answers a client needs to know."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_the_openapi_document_lists_every_route(client: TestClient) -> None:
    response = client.get("/openapi.json")

    paths = response.json()["paths"]
    assert {(method.upper(), path) for path in paths for method in paths[path]} == {
        ("POST", "/accounts"),
        ("GET", "/accounts/{account_id}"),
        ("POST", "/accounts/{account_id}/invitations"),
        ("GET", "/users/{user_id}"),
        ("GET", "/health"),
        ("HEAD", "/health"),
        ("GET", "/health/live"),
        ("HEAD", "/health/live"),
    }


def test_the_openapi_document_links_a_registrations_ids_to_the_operations_that_take_them(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()

    links = document["paths"]["/accounts"]["post"]["responses"]["201"]["links"]
    operations = {
        operation["operationId"]: operation
        for methods in document["paths"].values()
        for operation in methods.values()
    }
    for link in links.values():
        parameters = {p["name"] for p in operations[link["operationId"]]["parameters"]}
        assert set(link["parameters"]) <= parameters
    assert {link["operationId"] for link in links.values()} == {
        "get_account",
        "get_user",
        "invite_member",
    }


def test_the_openapi_document_states_the_registration_rules_and_every_answer(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()

    fields = document["components"]["schemas"]["RegisterAccountRequest"]["properties"]
    registering = document["paths"]["/accounts"]["post"]["responses"]
    assert (fields["email"]["format"], fields["email"]["maxLength"]) == ("email", 254)
    assert (fields["password"]["minLength"], fields["password"]["maxLength"]) == (8, 128)
    assert fields["account_name"]["maxLength"] == 100
    assert set(registering) == {"201", "400", "409", "413", "422", "429", "503"}
    assert "Retry-After" in registering["503"]["headers"]
