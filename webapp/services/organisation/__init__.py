"""A district's organisation (streets, communities, grids, users, teams, special areas, property
companies) and the demo data."""
