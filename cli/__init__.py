"""cinegrade's command line (click)."""
