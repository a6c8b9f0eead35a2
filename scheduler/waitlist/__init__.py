"""The waiting list: citizens who want an earlier time when one frees up."""
