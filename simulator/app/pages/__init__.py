"""Pages of the workshop app; each module exports ``Page``."""
