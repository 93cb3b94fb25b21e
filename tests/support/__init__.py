"""Helpers shared by the test suites of every app (import them from here rather than copying them)."""
