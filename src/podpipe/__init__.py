"""podpipe: Dutch podcast episodes in, reviewed show notes out."""

__version__ = "0.1.0"
