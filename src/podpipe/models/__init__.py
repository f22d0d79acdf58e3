"""Packaged model weights: where they are, how they are assembled and checked, and load-once caches."""
