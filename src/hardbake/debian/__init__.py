"""Debian's archive: versions, control files, signed indices, the resolver, the package cache."""
