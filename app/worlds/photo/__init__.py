"""The photo world: any picture, looked at by a classifier, a detector and OCR (docs/photos.md)."""
