"""Building images: plan -> rootfs -> emulate -> harden -> image. No maintainer script runs."""
