"""Test-run defaults, set before Django reads its settings. The real environment wins."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
