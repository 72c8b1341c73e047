"""Shared code every app may import; it imports no app of the project (docs/architecture.md)."""
