"""Writers of the output folder's files; they know formats, not models."""
