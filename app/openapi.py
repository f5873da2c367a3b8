"""OpenAPI text for routes that read their own body (a multipart form or JSON) or query
parameters, which FastAPI cannot infer from the handler's signature."""

from __future__ import annotations

from pydantic import BaseModel

from app.keys import API_PREFIXES


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


def declare_bearer(app, required: bool) -> None:
    """The API-key scheme in the OpenAPI document, so `/docs` can send a key; on the
    `/api` and `/v2` operations it is required when keys are set (`app.keys`)."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes["apiKey"] = {"type": "http", "scheme": "bearer", "description": "a key from VQADEMO_API_KEYS"}
        for path, operations in schema.get("paths", {}).items():
            if path.startswith(API_PREFIXES):
                for operation in operations.values():
                    operation["security"] = [{"apiKey": []}] if required else [{}, {"apiKey": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi
