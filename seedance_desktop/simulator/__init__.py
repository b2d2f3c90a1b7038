"""A local Modellix-compatible server: demo mode and the test double (no Qt)."""
