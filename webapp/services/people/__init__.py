"""Work between people: comments and hand-over notes, stand-ins for leave, saved inbox filters."""
