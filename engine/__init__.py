"""Yimen's engine: every rule and every write. Never imports Flask or web/."""
