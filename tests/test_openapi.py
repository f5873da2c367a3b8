"""The OpenAPI page documents what the handlers read themselves."""

from pydantic import BaseModel, Field

from app.openapi import query_parameters


class Query(BaseModel):
    count: int | None = Field(None, ge=0, description="how many")
    name: str = Field(description="whose")


def test_query_parameters_come_from_the_pydantic_model():
    count, name = query_parameters(Query)["parameters"]
    assert count == {
        "name": "count",
        "in": "query",
        "required": False,
        "schema": {"minimum": 0, "type": "integer"},
        "description": "how many",
    }
    assert name["required"] is True and name["schema"] == {"type": "string"}


def test_the_digit_routes_document_their_query(committed_client):
    paths = committed_client.get("/openapi.json").json()["paths"]
    assert [p["name"] for p in paths["/api/digits"]["post"]["parameters"]] == ["mc_samples", "model"]
    assert [p["name"] for p in paths["/api/autoencoder"]["post"]["parameters"]] == ["model"]
