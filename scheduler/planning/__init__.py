"""Planning domain."""
