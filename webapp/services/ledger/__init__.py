"""The read side: inbox, ledger and project detail queries (scoped by policy), and spreadsheet exports."""
