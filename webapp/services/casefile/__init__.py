"""A project's case file: its timeline read from history, the notices steps issue (HTML and PDF), the
photos attached to forms, and the link to its public site page."""
