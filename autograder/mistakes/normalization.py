"""Typical wrong (and correct, differently written) variants for the normalization topic."""
