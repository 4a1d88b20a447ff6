"""Batteries for the loss topic."""
