"""Typical wrong (and correct, differently written) variants for the model_selection topic."""
