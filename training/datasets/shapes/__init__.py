"""The shapes scenes generator: scenes, questions in two languages, arrays and streams for training."""
