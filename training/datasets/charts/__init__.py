"""The charts generator: FigureQA-style chart tables, drawn with matplotlib, with questions (docs/charts.md)."""
