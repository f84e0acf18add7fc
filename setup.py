"""Kept for pip 21.3.1's editable install (setuptools < 64 has no PEP 660 hook); the metadata is in setup.cfg."""
import setuptools

setuptools.setup()
