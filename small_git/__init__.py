"""small-git: the SMALL Protocol v1.0.0, git-native."""

__version__ = "0.1.0"
PROTOCOL_VERSION = "1.0.0"
