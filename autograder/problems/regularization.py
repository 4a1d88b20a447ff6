"""Batteries for the regularization topic."""
