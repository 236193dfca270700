"""Use cases, grouped by capability; each validates, then acts (domain rules, persistence), in one transaction.

errors.py holds the refusals every package raises; the API maps each to one HTTP status."""
