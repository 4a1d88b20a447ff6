"""Check batteries, one module per lecture topic; importing this registers them all.

The known mistakes register first: the batteries diagnose with them, and the
import runs one way, ``problems`` -> ``mistakes`` -> ``cases``.
"""
import importlib

import reference

from .. import mistakes

for _topic in reference.TOPICS:  # one module per topic, named as in reference.TOPICS
    importlib.import_module(f".{_topic}", __name__)
