"""hardbake: a hardened-image factory.

Debian packages in, minimal reproducible non-root OCI images out, with SBOMs, scans,
signatures and provenance, and the tools teams need around them.
"""

__version__ = "0.1.0"
