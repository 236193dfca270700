"""District implementation rules (实施细则): versions in force, their history, the `rule()` function
processes call, and the what-if preview of a draft."""
