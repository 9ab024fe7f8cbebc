"""Verifying certificate and statement codes: one look-up for the page, the API and bulk checks."""
