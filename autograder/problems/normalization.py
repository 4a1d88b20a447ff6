"""Batteries for the normalization topic."""
