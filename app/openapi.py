"""OpenAPI text for routes that read their own body (a multipart form or JSON) or query
parameters, which FastAPI cannot infer from the handler's signature."""

from __future__ import annotations

from pydantic import BaseModel


def form_or_json_body(form_fields: dict[str, dict], required: list[str], json_model: type[BaseModel]) -> dict:
    """`openapi_extra` for a body sent as multipart/form-data (`form_fields`: name ->
    JSON schema) or as JSON (`json_model`)."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {"schema": {"type": "object", "required": required, "properties": form_fields}},
                "application/json": {"schema": json_model.model_json_schema()},
            },
        }
    }


def query_parameters(model: type[BaseModel]) -> dict:
    """`openapi_extra` documenting a handler's query parameters from a pydantic model,
    for handlers that read `request.query_params` themselves."""
    schema = model.model_json_schema()
    parameters = []
    for name, field in schema["properties"].items():
        field = dict(field)
        description = field.pop("description", None)
        field.pop("title", None)
        if "anyOf" in field:  # `int | None`: documented as the int, optional
            field = next(f for f in field.pop("anyOf") if f.get("type") != "null") | field
        field.pop("default", None)
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": name in schema.get("required", []),
                "schema": field,
                "description": description,
            }
        )
    return {"parameters": parameters}
