"""Batteries for the descent topic."""
