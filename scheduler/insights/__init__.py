"""Insights: KPIs per municipality and how it compares with its peers."""
