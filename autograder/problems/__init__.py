"""Check batteries, one module per lecture topic; importing this registers them all."""
from . import activation  # noqa: F401
