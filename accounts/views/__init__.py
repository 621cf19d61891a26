"""Views of the accounts app: people (office), password change, the audit log (office)."""
