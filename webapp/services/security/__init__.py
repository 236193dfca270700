"""Who may do what: the authorization policy, sign-in and tokens, the audit trail, masking of personal
data."""
