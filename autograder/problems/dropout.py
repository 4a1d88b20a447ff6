"""Batteries for the dropout topic."""
