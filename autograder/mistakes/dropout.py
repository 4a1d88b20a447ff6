"""Typical wrong (and correct, differently written) variants for the dropout topic."""
