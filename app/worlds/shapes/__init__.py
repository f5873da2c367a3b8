"""The shapes world: flat CLEVR-like scenes (docs/shapes-scenes.md), read by the VQA models."""
