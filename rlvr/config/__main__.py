"""`python -m rlvr.config > docs/configuration.md` writes the config reference."""

from rlvr.config.reference import config_reference

print(config_reference(), end="")
