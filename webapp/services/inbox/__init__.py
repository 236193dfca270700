"""Work on inbox tasks besides completing them: claims, assignment, and drafts of half-filled forms."""
