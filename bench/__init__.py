"""Benchmarks: this product against the same handler on the official ``oci`` SDK (``make bench``)."""
