"""promoter."""
