"""Batteries for the initialization topic."""
