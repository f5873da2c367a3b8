"""Dataset loaders for the training scripts (they never run inside the server)."""
