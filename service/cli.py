"""``inspectqa ask`` and ``inspectqa serve``."""

from __future__ import annotations


def ask_command(question: str) -> None:
    """Answer a question from the index, with citations."""


def serve_command() -> None:
    """Run the HTTP service (building the index first when it is missing)."""
