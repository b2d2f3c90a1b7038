"""Probing, conforming and synthesising local media with PyAV (no Qt)."""
