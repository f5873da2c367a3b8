"""OpenAPI text for routes that read their own body (a multipart form or JSON), which
FastAPI cannot infer from the handler's signature."""

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
