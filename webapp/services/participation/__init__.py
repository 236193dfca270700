"""Parties beyond the authorities: the public (site page, reports), property companies and entrusted
supervisors."""
